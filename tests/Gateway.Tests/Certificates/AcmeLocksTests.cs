using System.Text.Json.Nodes;
using Gateway.Certificates.Acme;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Certificates;

/// <summary>Leases in a real folder, as instances sharing a certificate store take them: each instance its own AcmeLocks and clock.</summary>
public sealed class AcmeLocksTests : IDisposable
{
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(2);
    private readonly string _folder = Directory.CreateTempSubdirectory("gateway-locks-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task A_held_lock_is_refused_to_others_with_its_holder_and_free_again_once_released()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var a = new AcmeLocks(_folder, "a:1:000001", clock, Lease);
        var b = new AcmeLocks(_folder, "b:2:000002", clock, Lease);

        var lease = a.TryAcquire("app.example", out _);
        Assert.NotNull(lease);
        Assert.Null(b.TryAcquire("app.example", out var holder));
        Assert.Equal("a:1:000001", holder!.Owner);
        Assert.Equal(clock.GetUtcNow() + Lease, holder.Expires);
        Assert.Equal("a:1:000001", Assert.Single(b.Holders()).Owner);
        // Another key is another lock.
        await using (var other = b.TryAcquire("other.example", out _))
        {
            Assert.NotNull(other);
        }

        await lease!.DisposeAsync();
        Assert.DoesNotContain(b.Holders(), h => h.Key == "app.example");
        await using var next = b.TryAcquire("app.example", out _);
        Assert.NotNull(next);
        Assert.Equal(1, next!.Info.Generation);
    }

    [Fact]
    public async Task The_holder_renews_its_lease_while_it_works_so_others_never_see_it_stale()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var a = new AcmeLocks(_folder, "a:1:000001", clock, Lease);
        var b = new AcmeLocks(_folder, "b:2:000002", clock, Lease);
        await using var lease = a.TryAcquire("app.example", out _);

        // Ten leases' worth of time, a third at a time: each step renews before anyone could call it stale.
        for (var i = 0; i < 30; i++)
        {
            clock.Advance(Lease / 3);
            await Poll.UntilAsync(() => b.Holders().SingleOrDefault()?.Expires > clock.GetUtcNow() + (Lease / 2), "the lease is renewed");
            Assert.Null(b.TryAcquire("app.example", out _));
        }

        Assert.False(lease!.Lost.IsCancellationRequested);
    }

    [Fact]
    public async Task A_holder_that_stopped_renewing_is_taken_over_after_its_lease_and_the_skew_margin_and_learns_it_lost()
    {
        // The holder's clock stands still (a frozen or killed process renews nothing); the others' moves on.
        var frozen = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var clock = new FakeTimeProvider(frozen.GetUtcNow());
        var a = new AcmeLocks(_folder, "a:1:000001", frozen, Lease);
        var b = new AcmeLocks(_folder, "b:2:000002", clock, Lease);
        var stalled = a.TryAcquire("app.example", out _)!;

        clock.Advance(Lease + (Lease / 4) - TimeSpan.FromSeconds(1));
        Assert.Null(b.TryAcquire("app.example", out _)); // within the margin for clock skew: still held
        clock.Advance(TimeSpan.FromSeconds(2));
        await using var taken = b.TryAcquire("app.example", out _);
        Assert.NotNull(taken);

        // The stalled holder wakes up: its next renewal finds the next generation and gives up instead of writing.
        frozen.Advance(Lease / 3);
        await Poll.UntilAsync(() => stalled.Lost.IsCancellationRequested, "the stalled holder learns it lost the lock");
        await stalled.DisposeAsync();
        Assert.Equal("b:2:000002", Assert.Single(b.Holders()).Owner);
    }

    [Fact]
    public async Task Instances_racing_for_a_stale_lock_never_both_win()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var racers = Enumerable.Range(0, 8).Select(i => new AcmeLocks(_folder, $"r:{i}:00000{i}", clock, Lease)).ToList();
        var holder = new AcmeLocks(_folder, "dead:1:000000", new FakeTimeProvider(clock.GetUtcNow()), Lease);
        for (var round = 0; round < 40; round++)
        {
            // A holder that died: its lease ran out long ago.
            var dead = holder.TryAcquire("race.example", out _);
            Assert.NotNull(dead);
            clock.Advance(Lease * 2);

            using var go = new ManualResetEventSlim();
            var attempts = racers.Select(r => Task.Run(() =>
            {
                go.Wait();
                return r.TryAcquire("race.example", out _);
            })).ToList();
            go.Set();
            var won = (await Task.WhenAll(attempts)).OfType<AcmeLease>().ToList();

            Assert.Single(won);
            foreach (var lease in won)
            {
                await lease.DisposeAsync();
            }

            holder = new AcmeLocks(_folder, "dead:1:000000", new FakeTimeProvider(clock.GetUtcNow()), Lease);
        }
    }

    [Fact]
    public async Task A_lock_file_not_yet_written_counts_as_held_until_its_time_plus_a_lease()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var b = new AcmeLocks(_folder, "b:2:000002", clock, Lease);
        // An instance created the file and has not written it yet (or died right then).
        var path = Path.Combine(_folder, "app.example.0.lock");
        await File.WriteAllTextAsync(path, "");

        Assert.Null(b.TryAcquire("app.example", out var holder));
        Assert.Equal("(unreadable lock file)", holder!.Owner);
        // The file's age is what counts (on the wall clock, as the file server wrote it).
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow - Lease - Lease);
        await using var lease = b.TryAcquire("app.example", out _);
        Assert.Equal(1, lease!.Info.Generation);
    }

    [Fact]
    public async Task A_lock_file_names_its_owner_and_a_longer_host_name_is_another_lock()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var a = new AcmeLocks(_folder, "a:1:000001", clock, Lease);
        await using var lease = a.TryAcquire("app.example", out _);
        var content = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(_folder, "app.example.0.lock")))!;
        Assert.Equal("a:1:000001", (string?)content["owner"]);

        // Another host set whose name extends this one's is another lock, and a file of its own does not confuse the count.
        await using var longer = a.TryAcquire("app.example.org", out _);
        Assert.Equal(0, longer!.Info.Generation);
        var b = new AcmeLocks(_folder, "b:2:000002", clock, Lease);
        Assert.Null(b.TryAcquire("app.example", out var holder));
        Assert.Equal("a:1:000001", holder!.Owner);
    }
}
