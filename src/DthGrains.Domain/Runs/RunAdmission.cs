using DthGrains.Contracts.Platform;

namespace DthGrains.Domain.Runs;

/// <summary>
/// How many runs one researcher may have unfinished at once (submitted, running or suspended), so that one client's
/// burst of submissions cannot hold every worker of the cluster while everyone else's runs queue behind it.
/// </summary>
public static class RunAdmission
{
    /// <summary>The runs listed by name in a refusal; the rest are counted.</summary>
    public const int Listed = 5;

    /// <summary>
    /// Null when one more run fits under <paramref name="cap"/> (0: no cap); else a 429 that names the unfinished runs
    /// and what to do. No Retry-After goes with it: when a slot frees depends on runs, not on time.
    /// </summary>
    /// <param name="unfinished">the researcher's unfinished runs, oldest first (at most cap of them are needed).</param>
    public static Problem? Check(int cap, IReadOnlyList<string> unfinished)
    {
        if (cap <= 0 || unfinished.Count < cap) return null;
        var named = string.Join(", ", unfinished.Take(Listed)) + (unfinished.Count > Listed ? $" and {unfinished.Count - Listed} more" : "");
        return new Problem(ProblemKind.TooManyRequests, "Too many unfinished runs",
            $"You have {unfinished.Count} unfinished runs ({named}); a researcher may have {cap} at once (Dth:Runs:MaxActiveRunsPerResearcher). " +
            "Submit again once one has ended ('dth run watch <id>'), or cancel one ('dth run cancel <id>'). Suspended runs count until they resume " +
            "and end, or are cancelled.");
    }
}
