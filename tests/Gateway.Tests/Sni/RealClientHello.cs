using System.Net.Security;
using System.Security.Authentication;

namespace Gateway.Tests.Sni;

/// <summary>Captures the first flight a real .NET <see cref="SslStream"/> client sends, without any server.</summary>
public static class RealClientHello
{
    /// <summary>
    /// Returns the exact bytes <see cref="SslStream"/> writes before it first waits for the server (the ClientHello
    /// records), with TLS 1.2 and 1.3 enabled. A null or empty <paramref name="serverName"/> sends no SNI.
    /// </summary>
    public static byte[] Capture(string? serverName, IEnumerable<string>? alpn = null)
    {
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = serverName ?? string.Empty,
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            ApplicationProtocols = alpn?.Select(name => new SslApplicationProtocol(name)).ToList(),
        };

        using var recorder = new FirstFlightRecorder();
        using var ssl = new SslStream(recorder, leaveInnerStreamOpen: true);
        try
        {
            ssl.AuthenticateAsClient(options);
        }
        catch (Exception) when (recorder.HasWritten)
        {
            // Expected: the recorder refuses to deliver a ServerHello once the hello is out.
        }

        return recorder.ToArray();
    }

    /// <summary>Records writes and fails the first read, which the client only attempts once its hello is out.</summary>
    private sealed class FirstFlightRecorder : Stream
    {
        private readonly MemoryStream _written = new();

        public bool HasWritten => _written.Length > 0;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public byte[] ToArray() => _written.ToArray();

        public override void Write(byte[] buffer, int offset, int count) => _written.Write(buffer, offset, count);

        public override void Write(ReadOnlySpan<byte> buffer) => _written.Write(buffer);

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            _written.Write(buffer, offset, count);
            return Task.CompletedTask;
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            _written.Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new IOException("Capture complete.");

        public override int Read(Span<byte> buffer) => throw new IOException("Capture complete.");

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            Task.FromException<int>(new IOException("Capture complete."));

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            ValueTask.FromException<int>(new IOException("Capture complete."));

        public override void Flush()
        {
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _written.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
