using System.Net;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// A real gRPC server on 127.0.0.1:0 that speaks only cleartext HTTP/2 (prior knowledge, no TLS, no HTTP/1.1),
/// so a call reaches it only if the gateway forwards it as h2c.
/// </summary>
public sealed class GrpcBackend : IAsyncDisposable
{
    private readonly WebApplication _app;

    private GrpcBackend(WebApplication app, IPEndPoint endPoint)
    {
        _app = app;
        EndPoint = endPoint;
    }

    public IPEndPoint EndPoint { get; }

    public string Address => $"127.0.0.1:{EndPoint.Port}";

    public static async Task<GrpcBackend> StartAsync()
    {
        var (builder, endPoint) = LoopbackKestrel.CreateBuilder(HttpProtocols.Http2);
        builder.Services.AddGrpc();
        var app = builder.Build();
        app.MapGrpcService<EchoService>();
        await app.StartAsync();
        return new GrpcBackend(app, endPoint());
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>
/// Say answers "{text} proto={X-Forwarded-Proto}": the header is set by YARP, so it shows which hop the call came
/// through. Count streams 1..N and ends with an "x-counted" trailer, one the gateway has no reason to know.
/// </summary>
public sealed class EchoService : Echo.EchoBase
{
    public override Task<EchoReply> Say(EchoRequest request, ServerCallContext context) =>
        Task.FromResult(new EchoReply { Text = $"{request.Text} proto={context.RequestHeaders.GetValue("x-forwarded-proto")}" });

    public override async Task Count(CountRequest request, IServerStreamWriter<CountReply> responseStream, ServerCallContext context)
    {
        for (var number = 1; number <= request.Count; number++)
        {
            await responseStream.WriteAsync(new CountReply { Number = number }, context.CancellationToken);
        }

        context.ResponseTrailers.Add("x-counted", request.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }
}
