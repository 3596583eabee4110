using System.Buffers.Binary;

namespace Gateway.Sni;

/// <summary>
/// A big-endian cursor over TLS wire data. Every read reports failure instead of throwing, so a lying
/// length field turns into a verdict rather than an exception.
/// </summary>
internal ref struct TlsReader(ReadOnlySpan<byte> buffer)
{
    private readonly ReadOnlySpan<byte> _buffer = buffer;
    private int _position;

    public readonly bool IsEmpty => _position >= _buffer.Length;

    public bool TryReadUInt8(out byte value)
    {
        if (_position >= _buffer.Length)
        {
            value = 0;
            return false;
        }

        value = _buffer[_position++];
        return true;
    }

    public bool TryReadUInt16(out ushort value)
    {
        if (_buffer.Length - _position < sizeof(ushort))
        {
            value = 0;
            return false;
        }

        value = BinaryPrimitives.ReadUInt16BigEndian(_buffer[_position..]);
        _position += sizeof(ushort);
        return true;
    }

    public bool TryReadBytes(int count, out ReadOnlySpan<byte> value)
    {
        if (count < 0 || _buffer.Length - _position < count)
        {
            value = default;
            return false;
        }

        value = _buffer.Slice(_position, count);
        _position += count;
        return true;
    }

    /// <summary>Reads a vector with a one-byte length prefix (TLS <c>opaque x&lt;0..2^8-1&gt;</c>).</summary>
    public bool TryReadVector8(out ReadOnlySpan<byte> value)
    {
        if (!TryReadUInt8(out var length))
        {
            value = default;
            return false;
        }

        return TryReadBytes(length, out value);
    }

    /// <summary>Reads a vector with a two-byte length prefix (TLS <c>opaque x&lt;0..2^16-1&gt;</c>).</summary>
    public bool TryReadVector16(out ReadOnlySpan<byte> value)
    {
        if (!TryReadUInt16(out var length))
        {
            value = default;
            return false;
        }

        return TryReadBytes(length, out value);
    }
}
