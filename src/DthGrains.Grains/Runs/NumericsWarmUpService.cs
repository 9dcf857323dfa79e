using DthGrains.Domain.Runs;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DthGrains.Grains.Runs;

/// <summary>
/// Runs <see cref="NumericsWarmUp"/> once at start for <see cref="RunOptions.NumericsWarmUp"/> (off when zero), on a
/// thread of its own so that neither the start nor the thread pool waits for it.
/// </summary>
public sealed class NumericsWarmUpService(IOptions<RunOptions> options, ILogger<NumericsWarmUpService> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var budget = options.Value.NumericsWarmUp;
        if (budget <= TimeSpan.Zero) return Task.CompletedTask;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                var r = NumericsWarmUp.Run(budget, stoppingToken);
                logger.LogInformation("Numerics warmed up: {Rounds} rounds over {Models} models ({Subjects} subjects) in {Seconds:F1} s; a round took {First:F1} ms at first, {Last:F1} ms at the end",
                    r.Rounds, r.Models, r.Subjects, r.Elapsed.TotalSeconds, r.FirstRound.TotalMilliseconds, r.LastRound.TotalMilliseconds);
            }
            catch (Exception ex)
            {
                // Only a warm-up: the runs work without it.
                logger.LogWarning(ex, "Numerics warm-up stopped early");
            }
            finally
            {
                done.TrySetResult();
            }
        })
        { IsBackground = true, Name = "dth-numerics-warm-up", Priority = ThreadPriority.BelowNormal };
        thread.Start();
        return done.Task;
    }
}
