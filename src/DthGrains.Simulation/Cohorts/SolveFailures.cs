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
        _ => "the solve stopped short of the horizon (for an external model: its process exited with an error, ran past its timeout or wrote no usable outputs; the silo's log says which)",
    };

    /// <summary>Counts one subject that ended with <paramref name="status"/> short of its horizon.</summary>
    public void Add(IntegrationStatus status)
    {
        switch (ReasonIndex(status))
        {
            case 0: StepSizeTooSmall++; break;
            case 1: TooManySteps++; break;
            case 2: NonFinite++; break;
            default: Other++; break;
        }
    }

    /// <summary>The place in <see cref="Reasons"/> of a solve that ended with <paramref name="status"/> short of its horizon.</summary>
    public static int ReasonIndex(IntegrationStatus status) => status switch
    {
        IntegrationStatus.StepSizeTooSmall => 0,
        IntegrationStatus.TooManySteps => 1,
        IntegrationStatus.NonFinite => 2,
        _ => 3,
    };

    /// <summary>What a failed subject's row says when it does not say why (rows recorded before the reason was kept).</summary>
    public const string UnknownReason = "unknown";

    // A failed subject's summary row is NaN throughout, and its first value carries the reason in the NaN's payload: a
    // quiet NaN tagged "DT", then the reason's place + 1. Every reader already takes any NaN for "no value", so the
    // rows' binary format (and the size and digest of a completed subject's row) stays as it was; bits are copied,
    // never computed on, between the runner and the reader, so the payload survives.
    private const long MarkerTag = 0x7FF8_4454_0000_0000;

    /// <summary>The NaN a failed subject's row starts with: it says <paramref name="status"/>.</summary>
    public static double Marker(IntegrationStatus status) => BitConverter.Int64BitsToDouble(MarkerTag | (long)(ReasonIndex(status) + 1));

    /// <summary>
    /// Null when <paramref name="firstValue"/> (a row's first value) is a number, the subject completed; else the reason
    /// its solve failed (one of <see cref="Reasons"/>), or <see cref="UnknownReason"/> for a NaN without one.
    /// </summary>
    public static string? ReasonOf(double firstValue)
    {
        if (!double.IsNaN(firstValue)) return null;
        var bits = BitConverter.DoubleToInt64Bits(firstValue);
        var code = (int)(bits & 0xFFFF);
        return (bits & ~0xFFFFL) == MarkerTag && code >= 1 && code <= Reasons.Length ? Reasons[code - 1] : UnknownReason;
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
