using System.Net;
using Gateway.Access;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Access;

public sealed class LoginThrottleTests
{
    private static readonly IPAddress Guesser = IPAddress.Parse("127.0.0.2");
    private static readonly IPAddress Other = IPAddress.Parse("127.0.0.3");

    private readonly FakeTimeProvider _time = new(DateTimeOffset.UnixEpoch);

    [Fact]
    public void A_client_is_locked_after_five_failures_for_a_second_then_twice_as_long_each_time_up_to_five_minutes()
    {
        var throttle = new LoginThrottle(_time);
        for (var i = 0; i < LoginThrottle.FreeFailures - 1; i++)
        {
            Fail(throttle, Guesser, "alice");
        }

        Assert.True(throttle.TryEnter(Guesser, "alice", out _));
        throttle.Exit(Guesser, "alice", verified: false);
        Assert.False(throttle.TryEnter(Guesser, "bob", out var wait));
        Assert.Equal(TimeSpan.FromSeconds(1), wait);

        var expected = 1.0;
        for (var i = 0; i < 12; i++)
        {
            _time.Advance(wait);
            Fail(throttle, Guesser, "user" + i);
            Assert.False(throttle.TryEnter(Guesser, "bob", out wait));
            expected = Math.Min(expected * 2, LoginThrottle.MaxClientLockout.TotalSeconds);
            Assert.Equal(TimeSpan.FromSeconds(expected), wait);
        }

        Assert.Equal(LoginThrottle.MaxClientLockout, wait);
    }

    [Fact]
    public void Another_client_is_not_held_back_and_a_success_forgives_a_failure()
    {
        var throttle = new LoginThrottle(_time);
        for (var i = 0; i < LoginThrottle.FreeFailures; i++)
        {
            Fail(throttle, Guesser, "mallory" + i);
        }

        Assert.False(throttle.TryEnter(Guesser, "x", out _));
        Assert.True(throttle.TryEnter(Other, "carol", out _));
        throttle.Exit(Other, "carol", verified: true);

        for (var i = 0; i < LoginThrottle.FreeFailures - 1; i++)
        {
            Fail(throttle, Other, "typo" + i);
        }

        Assert.True(throttle.TryEnter(Other, "carol", out _));
        throttle.Exit(Other, "carol", verified: true);
        Fail(throttle, Other, "typo");
        Assert.True(throttle.TryEnter(Other, "carol", out _)); // one failure after a success: not locked
    }

    /// <summary>
    /// A guesser who knows one password (any route's user: one throttle serves them all) logs in between guesses. Its
    /// locks still grow to the longest, and logging in after each guess does not lift the guessed user's lock off it.
    /// </summary>
    [Fact]
    public void Successes_between_guesses_do_not_start_the_count_afresh()
    {
        var throttle = new LoginThrottle(_time);
        var longest = TimeSpan.Zero;
        for (var round = 0; round < 60; round++)
        {
            for (var guess = 0; guess < 4; guess++)
            {
                if (!throttle.TryEnter(Guesser, "alice", out var wait))
                {
                    longest = wait > longest ? wait : longest;
                    _time.Advance(wait);
                    continue;
                }

                throttle.Exit(Guesser, "alice", verified: false);
            }

            Assert.True(throttle.TryEnter(Guesser, "known", out _));
            throttle.Exit(Guesser, "known", verified: true);
        }

        Assert.Equal(LoginThrottle.MaxClientLockout, longest);

        // One guess, one login, again and again: the client's own count stays low, but alice's lock holds it back.
        var alternating = new LoginThrottle(_time);
        var guesses = 0;
        var start = _time.GetUtcNow();
        while (_time.GetUtcNow() - start < TimeSpan.FromHours(1))
        {
            if (alternating.TryEnter(Other, "alice", out var wait))
            {
                alternating.Exit(Other, "alice", verified: false);
                guesses++;
                Assert.True(alternating.TryEnter(Other, "known", out _));
                alternating.Exit(Other, "known", verified: true);
            }

            _time.Advance(wait > TimeSpan.Zero ? wait : TimeSpan.FromSeconds(1));
        }

        Assert.InRange(guesses, 1, LoginThrottle.FreeFailures + (3600 / LoginThrottle.MaxUserLockout.TotalSeconds) + 10);
    }

    [Fact]
    public void A_users_lock_holds_back_clients_that_failed_themselves_but_not_the_users_own_client()
    {
        var throttle = new LoginThrottle(_time);
        for (var i = 0; i < LoginThrottle.FreeFailures; i++)
        {
            // Five addresses, one guess each: none of them is locked as a client, alice is locked as a user.
            Fail(throttle, IPAddress.Parse($"127.0.1.{i}"), "alice");
        }

        Assert.False(throttle.TryEnter(IPAddress.Parse("127.0.1.0"), "alice", out var wait));
        Assert.Equal(TimeSpan.FromSeconds(1), wait);
        Assert.True(throttle.TryEnter(IPAddress.Parse("127.0.1.0"), "bob", out _));
        throttle.Exit(IPAddress.Parse("127.0.1.0"), "bob", verified: true);
        Assert.True(throttle.TryEnter(Other, "alice", out _)); // alice's own client never failed
        throttle.Exit(Other, "alice", verified: true);

        for (var i = 0; i < 20; i++)
        {
            _time.Advance(TimeSpan.FromMinutes(1));
            Fail(throttle, IPAddress.Parse($"127.0.2.{i}"), "alice");
        }

        Assert.False(throttle.TryEnter(IPAddress.Parse("127.0.2.19"), "alice", out wait));
        Assert.Equal(LoginThrottle.MaxUserLockout, wait);
        Assert.True(throttle.TryEnter(IPAddress.Parse("127.0.2.0"), "alice", out _)); // its one failure is forgotten
    }

    [Fact]
    public void A_client_has_at_most_two_checks_running()
    {
        var throttle = new LoginThrottle(_time);
        Assert.True(throttle.TryEnter(Guesser, "a", out _));
        Assert.True(throttle.TryEnter(Guesser, "b", out _));
        Assert.False(throttle.TryEnter(Guesser, "c", out _));
        Assert.True(throttle.TryEnter(Other, "c", out _));
        throttle.Exit(Guesser, "a", verified: false);
        Assert.True(throttle.TryEnter(Guesser, "c", out _));
    }

    [Theory]
    [InlineData("2001:db8:1:2::1", "2001:db8:1:2:ffff::9", true)]
    [InlineData("2001:db8:1:2::1", "2001:db8:1:3::1", false)]
    [InlineData("::ffff:127.0.0.2", "127.0.0.2", true)]
    [InlineData("127.0.0.2", "127.0.0.3", false)]
    public void Clients_are_addresses_and_ipv6_clients_are_their_64_bit_prefix(string first, string second, bool same)
    {
        var throttle = new LoginThrottle(_time);
        for (var i = 0; i < LoginThrottle.FreeFailures; i++)
        {
            Fail(throttle, IPAddress.Parse(first), "u" + i);
        }

        Assert.Equal(same, !throttle.TryEnter(IPAddress.Parse(second), "v", out _));
    }

    [Fact]
    public void Failures_are_forgotten_after_a_quiet_quarter_hour()
    {
        var throttle = new LoginThrottle(_time);
        for (var i = 0; i < LoginThrottle.FreeFailures - 1; i++)
        {
            Fail(throttle, Guesser, "u" + i);
        }

        _time.Advance(LoginThrottle.Forget + TimeSpan.FromSeconds(1));
        Fail(throttle, Guesser, "u");
        Assert.True(throttle.TryEnter(Guesser, "v", out _));
    }

    [Fact]
    public void User_names_a_locked_client_sends_are_not_kept()
    {
        var throttle = new LoginThrottle(_time);
        for (var i = 0; i < LoginThrottle.FreeFailures; i++)
        {
            Fail(throttle, Guesser, "alice");
        }

        var tracked = throttle.Count; // the client and alice
        for (var i = 0; i < 10_000; i++)
        {
            Assert.False(throttle.TryEnter(Guesser, "guess" + i, out _));
        }

        Assert.Equal(tracked, throttle.Count);
    }

    [Fact]
    public void A_long_user_name_is_locked_like_a_short_one()
    {
        var throttle = new LoginThrottle(_time);
        var longName = new string('a', 20_000);
        for (var i = 0; i < LoginThrottle.FreeFailures; i++)
        {
            Fail(throttle, IPAddress.Parse($"127.0.1.{i}"), longName);
        }

        Assert.False(throttle.TryEnter(IPAddress.Parse("127.0.1.0"), longName, out var wait));
        Assert.Equal(TimeSpan.FromSeconds(1), wait);
        Assert.True(throttle.TryEnter(IPAddress.Parse("127.0.1.0"), longName + "b", out _)); // another name
    }

    private static void Fail(LoginThrottle throttle, IPAddress client, string user)
    {
        Assert.True(throttle.TryEnter(client, user, out _));
        throttle.Exit(client, user, verified: false);
    }
}
