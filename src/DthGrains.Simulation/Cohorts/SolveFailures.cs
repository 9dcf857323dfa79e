using DthGrains.Simulation.Solvers;

namespace DthGrains.Simulation.Cohorts;

/// <summary>
/// Why subjects of a cohort failed to solve, counted by the solver's reason: the difference between "2 failed" and
/// "2 failed because the step size fell below what the tolerances allow", which tells the user what to change.
/// </summary>
public record struct SolveFailures(long StepSizeTooSmall, long TooManySteps, long NonFinite, long Other)
{
    /// <summary>The reasons as the API names them (kebab case), in this order.</summary>
    public static readonly string[] Reasons = ["step-size-too-small", "too-many-steps", "non-finite", "other"];

    public readonly long Total => StepSizeTooSmall + TooManySteps + NonFinite + Other;

    /// <summary>What a user can change about subjects that failed for <paramref name="reason"/> (one of <see cref="Reasons"/>).</summary>
    public static string Hint(string reason) => reason switch
    {
        "step-size-too-small" => "the solver's step fell below what the tolerances allow: loosen solver.relativeTolerance or absoluteTolerance, or use solver.method rodas4 if the model is stiff",
        "too-many-steps" => "the solver used up solver.maxSteps: raise it, or use solver.method rodas4 (a stiff model takes far fewer of its steps)",
        "non-finite" => "the model produced NaN or infinity: check the parameter values (a cohort draws extreme ones too) and the scenario's inputs",
        _ => "the solve stopped short of the horizon",
    };

    /// <summary>Counts one subject that ended with <paramref name="status"/> short of its horizon.</summary>
    public void Add(IntegrationStatus status)
    {
        switch (status)
        {
            case IntegrationStatus.StepSizeTooSmall: StepSizeTooSmall++; break;
            case IntegrationStatus.TooManySteps: TooManySteps++; break;
            case IntegrationStatus.NonFinite: NonFinite++; break;
            default: Other++; break;
        }
    }

    public void Add(SolveFailures other)
    {
        StepSizeTooSmall += other.StepSizeTooSmall;
        TooManySteps += other.TooManySteps;
        NonFinite += other.NonFinite;
        Other += other.Other;
    }

    /// <summary>The reasons with a count, by their API names; null when nothing failed.</summary>
    public readonly IReadOnlyDictionary<string, long>? ToDictionary()
    {
        if (Total == 0) return null;
        long[] counts = [StepSizeTooSmall, TooManySteps, NonFinite, Other];
        var named = new SortedDictionary<string, long>(StringComparer.Ordinal);
        for (int i = 0; i < counts.Length; i++)
            if (counts[i] > 0) named[Reasons[i]] = counts[i];
        return named;
    }

    /// <summary>The counts of <see cref="ToDictionary"/>'s form (an unknown reason counts as other).</summary>
    public static SolveFailures From(IReadOnlyDictionary<string, long>? named)
    {
        var f = new SolveFailures();
        foreach (var (reason, count) in named ?? new Dictionary<string, long>())
        {
            switch (Array.IndexOf(Reasons, reason))
            {
                case 0: f.StepSizeTooSmall += count; break;
                case 1: f.TooManySteps += count; break;
                case 2: f.NonFinite += count; break;
                default: f.Other += count; break;
            }
        }
        return f;
    }
}
