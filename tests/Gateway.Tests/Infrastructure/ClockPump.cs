using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Infrastructure;

/// <summary>Advances a fake clock steadily (half a second every 10 ms) so loops that wait on it, such as ACME's, make progress.</summary>
internal sealed class ClockPump : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public ClockPump(FakeTimeProvider clock) => _loop = Task.Run(async () =>
    {
        while (!_stop.IsCancellationRequested)
        {
            clock.Advance(TimeSpan.FromMilliseconds(500));
            await Task.Delay(10);
        }
    });

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}
