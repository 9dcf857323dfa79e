using DthGrains.Contracts.Governance;

namespace DthGrains.Domain.Governance;

/// <summary>"May principal P do action X on dataset R for purpose U now?", answered from the grants, with a reason.</summary>
public static class AccessPolicy
{
    public sealed record Verdict(bool Permit, string Reason, string? GrantId);

    /// <summary>
    /// A grant covers the dataset version its application was submitted for, the one its stewards reviewed: a later
    /// release may hold other subjects or variables, and needs an application of its own. "latest" (recorded for a
    /// dataset that had no version when the application was submitted) covers every version.
    /// </summary>
    public static Verdict Evaluate(IEnumerable<AccessGrant> grants, string principal, string dataset, string version, PermittedAction action, EhdsPurpose? purpose,
        DateTimeOffset now)
    {
        var covering = grants.Where(g => g.Principals.Contains(principal) && g.DatasetVersions.ContainsKey(dataset)).ToList();
        if (covering.Count == 0) return new(false, $"No access grant covers '{principal}' for dataset '{dataset}'. Apply for access (POST /api/access/requests).", null);
        string? reason = null;
        foreach (var g in covering.OrderByDescending(g => g.ValidUntil))
        {
            var why = g.Status switch
            {
                GrantStatus.Revoked or GrantStatus.Closed => $"Grant {g.Id} is {g.Status.ToString().ToLowerInvariant()} ({g.StatusReason}).",
                GrantStatus.Expired => $"Grant {g.Id} expired at {g.ValidUntil:O}.",
                _ when now >= g.ValidUntil => $"Grant {g.Id} expired at {g.ValidUntil:O}.",
                _ when now < g.ValidFrom => $"Grant {g.Id} is valid only from {g.ValidFrom:O}.",
                _ when g.DatasetVersions[dataset] is var pinned && pinned != "latest" && pinned != version =>
                    $"Grant {g.Id} covers version {pinned} of dataset '{dataset}', the one its stewards reviewed, not {version}: use {pinned}, or apply for {version}.",
                _ when purpose is null => $"Grant {g.Id} is for the purpose '{Kebab(g.Purpose)}': state it (?purpose={Kebab(g.Purpose)}).",
                _ when purpose != g.Purpose => $"Grant {g.Id} is for the purpose '{Kebab(g.Purpose)}', not '{Kebab(purpose.Value)}'.",
                _ when !g.Actions.Contains(action) => $"Grant {g.Id} permits {string.Join(", ", g.Actions.Select(Kebab))}, not {Kebab(action)}.",
                _ => null,
            };
            if (why is null) return new(true, $"permitted by grant {g.Id} until {g.ValidUntil:O}", g.Id);
            reason ??= why;
        }
        return new(false, reason!, null);
    }

    public static string Kebab<TEnum>(TEnum value) where TEnum : struct, Enum =>
        string.Concat(value.ToString().Select((c, i) => char.IsUpper(c) && i > 0 ? $"-{char.ToLowerInvariant(c)}" : char.ToLowerInvariant(c).ToString()));

    public static bool TryParse<TEnum>(string? kebab, out TEnum value) where TEnum : struct, Enum
    {
        value = default;
        if (kebab is null) return false;
        foreach (var v in Enum.GetValues<TEnum>())
            if (Kebab(v) == kebab) { value = v; return true; }
        return false;
    }
}
