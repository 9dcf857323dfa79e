using DthGrains.Contracts.Platform;

namespace DthGrains.Silo.Seed;

/// <summary>
/// One step of the demo seed, tried again when it fails for a reason that may pass: the store or a silo unavailable
/// (a 503 outcome), or an exception on the way (a timeout, a connection lost at start-up). The first start of a
/// platform should not lose its demo data to one transient error: the seed runs once, and a step that throws ended it
/// for good. A step whose earlier try failed on the way may have been recorded all the same; if it then answers
/// Conflict, that try did it. Anything else (a refusal) fails the seed at once, naming the step.
/// </summary>
public static class SeedStep
{
    public static async Task RunAsync<T>(Func<Task<Outcome<T>>> step, string what, ILogger logger, int attempts = 5,
        TimeSpan? pause = null, CancellationToken ct = default)
    {
        var wait = pause ?? TimeSpan.FromSeconds(1);
        var uncertain = false;
        for (var attempt = 1; ; attempt++)
        {
            string reason;
            try
            {
                var outcome = await step();
                if (outcome.IsSuccess) return;
                var problem = outcome.Problem!;
                if (uncertain && problem.Kind == ProblemKind.Conflict) return;
                if (problem.Kind != ProblemKind.Unavailable) throw new SeedFailedException(what, problem.Detail);
                reason = problem.Detail;
            }
            catch (Exception ex) when (ex is not SeedFailedException && ex is not OperationCanceledException)
            {
                reason = $"{ex.GetType().Name}: {ex.Message}";
                uncertain = true;
            }
            if (attempt >= attempts) throw new SeedFailedException(what, $"still failing after {attempts} tries: {reason}");
            logger.LogWarning("Demo seed: {Step} failed ({Reason}); trying again", what, reason);
            await Task.Delay(wait * attempt, ct);
        }
    }
}

public sealed class SeedFailedException(string step, string detail) : InvalidOperationException($"Demo seed failed at {step}: {detail}");
