using System.Net.Sockets;
using Gateway.Tests.Sni;

namespace Gateway.Tests.Infrastructure;

/// <summary>How the client's first flight (its ClientHello) is put on the wire.</summary>
public enum HelloShape
{
    Whole,
    OneBytePerWrite,
    RecordsOf64Bytes,
    LargerThan4KiB,
    SlowLastBytes,
}

/// <summary>
/// A network stream that delivers the first write (the ClientHello a real TLS client produced) in the
/// chosen shape, then passes everything through untouched.
/// </summary>
public sealed class HelloShapingStream(Socket socket, HelloShape shape) : NetworkStream(socket, ownsSocket: true)
{
    private bool _shaped;

    /// <summary>The hello as the client's TLS stack produced it, before shaping.</summary>
    public byte[]? ClientHello { get; private set; }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_shaped)
        {
            await base.WriteAsync(buffer, cancellationToken);
            return;
        }

        _shaped = true;
        var hello = buffer.ToArray();
        ClientHello = hello;
        switch (shape)
        {
            case HelloShape.OneBytePerWrite:
                for (var i = 0; i < hello.Length; i++)
                {
                    await base.WriteAsync(hello.AsMemory(i, 1), cancellationToken);
                }

                break;
            case HelloShape.RecordsOf64Bytes:
                await base.WriteAsync(ClientHelloBuilder.SplitIntoRecords(hello, 64), cancellationToken);
                break;
            case HelloShape.SlowLastBytes:
                await base.WriteAsync(hello.AsMemory(0, hello.Length - 2), cancellationToken);
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
                await base.WriteAsync(hello.AsMemory(hello.Length - 2, 1), cancellationToken);
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
                await base.WriteAsync(hello.AsMemory(hello.Length - 1, 1), cancellationToken);
                break;
            default:
                await base.WriteAsync(hello, cancellationToken);
                break;
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
}
