namespace Gateway.Tests.Infrastructure;

/// <summary>Waits for a condition instead of sleeping a guessed time; fails with a message when it never holds.</summary>
public static class Poll
{
    /// <param name="detail">What to add to the failure message, read only on a timeout (the state that explains it).</param>
    public static async Task UntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null, Func<string>? detail = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail(detail is null ? $"Timed out waiting until {what}" : $"Timed out waiting until {what}. {detail()}");
            }

            await Task.Delay(20);
        }
    }

    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Timed out waiting until {what}");
            }

            await Task.Delay(50);
        }
    }
}
