namespace DthGrains.Integration.Tests.Infrastructure;

/// <summary>
/// Waits for a condition that an asynchronous part of the system makes true (membership changes, a silo's
/// presence record). Polls the real condition with a bounded budget; no fixed sleeps.
/// </summary>
public static class Eventually
{
    public static async Task<T> Until<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        var last = await probe();
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        while (!done(last))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Timed out after {timeout.TotalSeconds:0} s waiting for {what}.");
            await timer.WaitForNextTickAsync();
            last = await probe();
        }
        return last;
    }
}
