using Gateway.Sockets.Epoll;

namespace Gateway.Tests.Sockets;

/// <summary>The wait that a cancellation ends with false: readable, cancelled, closed, each once and in any order.</summary>
public sealed class ReadinessWaiterTests
{
    [Fact]
    public async Task A_wait_ends_true_when_signalled_and_false_when_cancelled_or_aborted_without_an_exception()
    {
        var waiter = new ReadinessWaiter();

        var signalled = waiter.WaitOrCancelAsync(waiter.Version, CancellationToken.None);
        Assert.False(signalled.IsCompleted);
        waiter.Signal(ended: false);
        Assert.True(await signalled);

        using var cancellation = new CancellationTokenSource();
        var cancelled = waiter.WaitOrCancelAsync(waiter.Version, cancellation.Token);
        Assert.False(cancelled.IsCompleted);
        await cancellation.CancelAsync();
        Assert.False(await cancelled);

        // The waiter serves on: the next wait is not cancelled, and a throwing wait still throws when cancelled.
        var next = waiter.WaitOrCancelAsync(waiter.Version, CancellationToken.None);
        waiter.Signal(ended: false);
        Assert.True(await next);
        using var other = new CancellationTokenSource();
        var throwing = waiter.WaitAsync(waiter.Version, other.Token);
        await other.CancelAsync();
        await Assert.ThrowsAsync<OperationCanceledException>(async () => await throwing);

        Assert.False(await waiter.WaitOrCancelAsync(waiter.Version, cancellation.Token)); // cancelled before it waits
        var aborted = waiter.WaitOrCancelAsync(waiter.Version, CancellationToken.None);
        waiter.Abort();
        Assert.False(await aborted);
        Assert.False(await waiter.WaitOrCancelAsync(waiter.Version, CancellationToken.None));
    }
}
