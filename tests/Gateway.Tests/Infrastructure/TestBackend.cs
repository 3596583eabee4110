using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// A real Kestrel server on 127.0.0.1:0 standing in for Exchange (with its own certificate) or a web app
/// (plain HTTP). It answers "/" with its name, "/headers" with the request headers it received, "/big?bytes=N" with a
/// deterministic stream, "/ws" as a WebSocket echo.
/// </summary>
public sealed class TestBackend : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TestBackend(WebApplication app, string name, IPEndPoint endPoint)
    {
        _app = app;
        Name = name;
        EndPoint = endPoint;
    }

    public string Name { get; }

    public IPEndPoint EndPoint { get; }

    public string Address => $"127.0.0.1:{EndPoint.Port}";

    public static async Task<TestBackend> StartAsync(string name, X509Certificate2? certificate = null)
    {
        var (builder, endPoint) = LoopbackKestrel.CreateBuilder(HttpProtocols.Http1AndHttp2, certificate);
        var app = builder.Build();
        app.UseWebSockets();
        app.MapGet("/", (HttpContext context) => $"{name} {context.Request.Protocol} host={context.Request.Host} forwarded-host={context.Request.Headers["X-Forwarded-Host"]}");
        app.MapGet("/headers", (HttpContext context) =>
        {
            // A backend that names itself, as web servers do, so tests can see the gateway hide it.
            context.Response.Headers.Server = "TestBackend/1.0";
            return string.Join("\n", context.Request.Headers.Select(h => $"{h.Key}: {h.Value}"));
        });
        app.MapGet("/status/{code:int}", (HttpContext context, int code) =>
        {
            // An empty error answer with headers that must not survive onto a replacement page.
            context.Response.Headers.SetCookie = "session=backend";
            context.Response.ContentLength = 0;
            return Results.StatusCode(code);
        });
        app.MapGet("/big", async (HttpContext context, long bytes) =>
        {
            context.Response.ContentLength = bytes;
            var buffer = new byte[64 * 1024];
            for (long sent = 0; sent < bytes; sent += buffer.Length)
            {
                var count = (int)Math.Min(buffer.Length, bytes - sent);
                BigPayload.Fill(buffer.AsSpan(0, count), sent);
                await context.Response.Body.WriteAsync(buffer.AsMemory(0, count));
            }
        });
        app.Map("/ws", async (HttpContext context) =>
        {
            if (!context.WebSockets.IsWebSocketRequest)
            {
                context.Response.StatusCode = 400;
                return;
            }

            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            var buffer = new byte[4096];
            while (true)
            {
                var received = await socket.ReceiveAsync(buffer, CancellationToken.None);
                if (received.MessageType == System.Net.WebSockets.WebSocketMessageType.Close)
                {
                    await socket.CloseAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
                    return;
                }

                await socket.SendAsync(buffer.AsMemory(0, received.Count), received.MessageType, received.EndOfMessage, CancellationToken.None);
            }
        });

        await app.StartAsync();
        return new TestBackend(app, name, endPoint());
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>The bytes of "/big": position-dependent, so a reordered or dropped chunk changes the hash.</summary>
public static class BigPayload
{
    public static void Fill(Span<byte> buffer, long offset)
    {
        for (var i = 0; i < buffer.Length; i++)
        {
            var position = offset + i;
            buffer[i] = (byte)((position * 2654435761L) >> 13);
        }
    }
}
