using System.Diagnostics.CodeAnalysis;
using DthGrains.Contracts.Governance;
using DthGrains.Contracts.Platform;
using DthGrains.Domain.Governance;
using DthGrains.Domain.Platform;
using Xunit.Sdk;
using static DthGrains.Domain.Tests.Governance.Access;

namespace DthGrains.Domain.Tests.Governance;

/// <summary>
/// Property test: seeded random interleavings of apply, return, resubmit, approve/refuse (with duplicates and
/// decisions taken on the same version), revoke, close, expire (a moving fake clock) and reads through the policy
/// decision point. Only accepted events are applied; the invariants are checked over the recorded history.
/// </summary>
public sealed class GovernancePropertyTests
{
    private const int Runs = 500;
    private const int Steps = 40;

    private static readonly Dictionary<string, string> OwnerOf = new()
    {
        ["ds-a"] = "charite", ["ds-b"] = "umcg", ["ds-c"] = "umcg", ["ds-d"] = "karolinska",
    };

    private static readonly string[] DatasetIds = [.. OwnerOf.Keys];
    private static readonly Actor Carol = Researcher("carol", "umcg");
    private static readonly Actor[] Researchers = [Alice, Alice, Bob, Carol];
    private static readonly string[] Principals = ["alice", "bob", "carol"];
    private static readonly EhdsPurpose[] Purposes = [EhdsPurpose.ScientificResearch, EhdsPurpose.PublicInterest];

    private static readonly Actor[] Stewards =
    [
        ChariteSteward, ChariteSteward2, UmcgSteward, Steward("stew-umcg-2", "umcg"), Steward("stew-karolinska", "karolinska"),
        Steward("stew-sanquin", "sanquin"),
    ];

    private sealed record Read(string Principal, string Dataset, string Version, PermittedAction Action, EhdsPurpose? Purpose, AccessPolicy.Verdict Verdict);

    /// <summary>One accepted event, or one read, at the fake clock's time.</summary>
    private sealed record Entry(DateTimeOffset At, object? Event, Read? Read);

    [Fact]
    public void Random_interleavings_keep_the_invariants()
    {
        var coverage = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var seed = 1; seed <= Runs; seed++)
            Check(seed, Run(seed, coverage));

        // The property is only as good as what the generator reached.
        foreach (var reached in new[]
                 {
                     nameof(ApplicationSubmitted), "resubmitted", nameof(ApplicationReturned), nameof(DecisionRecorded), nameof(ApplicationRejected),
                     nameof(AccessGranted), nameof(AccessRevoked), nameof(AccessExpired), nameof(ApplicationClosed), "closed-grant",
                     "refused-conflict", "refused-forbidden", "refused-validation", "stale-decision-retried",
                     "read-permitted", "read-denied-after-end", "read-denied-past-valid-until",
                 })
            coverage.GetValueOrDefault(reached).Should().BeGreaterThan(0, $"the generator should reach {reached}");
    }

    private static List<Entry> Run(int seed, Dictionary<string, int> coverage)
    {
        var rng = new Random(seed);
        var s = AccessRequestState.Initial($"req-{seed}");
        var now = Now;
        var history = new List<Entry>();
        void Count(string what) => coverage[what] = coverage.GetValueOrDefault(what) + 1;

        bool Commit(Decision d)
        {
            if (d.Problem is not null)
            {
                if (d.Events.Count != 0) throw new XunitException($"seed {seed}: a refused command carried events ({d.Problem.Detail})");
                Count($"refused-{d.Problem.Kind.ToString().ToLowerInvariant()}");
                return false;
            }
            foreach (var e in d.Events)
            {
                if (e is ApplicationSubmitted && s.Exists) Count("resubmitted");
                if (e is ApplicationClosed && s.Grant is { Status: GrantStatus.Active }) Count("closed-grant");
                var before = s.Version;
                s = AccessRequestState.Evolve(s, e);
                if (s.Version != before + 1) throw new XunitException($"seed {seed}: the version did not move by one on {e.GetType().Name}");
                history.Add(new Entry(now, e, null));
                Count(e.GetType().Name);
                TerminalStatesCarryAReason(seed, s, e);
            }
            return true;
        }

        for (var step = 0; step < Steps; step++)
        {
            now += rng.Next(10) switch
            {
                < 6 => TimeSpan.FromMinutes(rng.Next(0, 120)),
                < 9 => TimeSpan.FromDays(rng.Next(1, 20)),
                _ => TimeSpan.FromDays(rng.Next(20, 100)),
            };
            switch (rng.Next(12))
            {
                case 0 or 1:
                {
                    var (application, data) = RandomApplication(rng);
                    var actor = rng.Next(10) == 0 ? Pick(rng, Stewards) : Pick(rng, Researchers);
                    Commit(GovernanceDecisions.Submit(s, application, actor, data, now));
                    break;
                }
                case 2:
                    Commit(GovernanceDecisions.Return(s, RandomReason(rng), Pick(rng, Stewards), now));
                    break;
                case 3 or 4:
                    Commit(GovernanceDecisions.Decide(s, RandomDecision(rng), Pick(rng, Stewards), now));
                    break;
                case 5:
                {
                    // Two stewards (maybe the same one, maybe of the same institution) decide on the version both read.
                    var (first, second) = (Pick(rng, Stewards), rng.Next(3) == 0 ? null : Pick(rng, Stewards));
                    second ??= first;
                    var (d1, d2) = (RandomDecision(rng), RandomDecision(rng));
                    var read = s;
                    var a = GovernanceDecisions.Decide(read, d1, first, now);
                    var b = GovernanceDecisions.Decide(read, d2, second, now);
                    if (Commit(a) && b.Problem is null)
                    {
                        // The store refuses b (expected version moved); the steward re-reads and tries again.
                        Count("stale-decision-retried");
                        Commit(GovernanceDecisions.Decide(s, d2, second, now));
                    }
                    else if (b.Problem is not null || s.Version == read.Version)
                    {
                        Commit(b);
                    }
                    break;
                }
                case 6:
                    Commit(GovernanceDecisions.Revoke(s, RandomReason(rng), Pick(rng, Stewards), now));
                    break;
                case 7:
                    Commit(GovernanceDecisions.Close(s, RandomReason(rng), Pick(rng, Researchers), now));
                    break;
                case 8:
                    Commit(GovernanceDecisions.Expire(s, now));
                    break;
                default:
                {
                    var purpose = rng.Next(10) switch { < 7 => s.Application?.Purpose ?? EhdsPurpose.ScientificResearch, < 9 => Pick(rng, Purposes), _ => (EhdsPurpose?)null };
                    var dataset = Pick(rng, DatasetIds);
                    // Mostly the version the application was submitted for; sometimes a later release it does not cover.
                    var version = rng.Next(5) == 0 ? "9.0.0" : s.DatasetVersions.GetValueOrDefault(dataset, "1.0.0");
                    var read = new Read(Pick(rng, Principals), dataset, version, Pick(rng, Enum.GetValues<PermittedAction>()), purpose, default!);
                    var grants = s.Grant is null ? [] : new[] { s.Grant };
                    var verdict = AccessPolicy.Evaluate(grants, read.Principal, read.Dataset, read.Version, read.Action, read.Purpose, now);
                    history.Add(new Entry(now, null, read with { Verdict = verdict }));
                    if (verdict.Permit) Count("read-permitted");
                    else if (s.Grant is { Status: not GrantStatus.Active } && s.Grant.Principals.Contains(read.Principal) && s.Grant.DatasetVersions.ContainsKey(read.Dataset)) Count("read-denied-after-end");
                    else if (s.Grant is { Status: GrantStatus.Active } live && now >= live.ValidUntil && live.Principals.Contains(read.Principal) && live.DatasetVersions.ContainsKey(read.Dataset)) Count("read-denied-past-valid-until");
                    break;
                }
            }
        }
        return history;
    }

    /// <summary>The invariants, from the events alone (not from the fold that produced them).</summary>
    private static void Check(int seed, List<Entry> history)
    {
        [DoesNotReturn] void Fail(int i, string what) => throw new XunitException($"seed {seed}, entry {i} ({Describe(history[i])}): {what}");

        IReadOnlyDictionary<string, string[]>? owners = null;
        AccessApplication? application = null;
        var decided = new HashSet<string>(StringComparer.Ordinal);
        var approved = new HashSet<string>(StringComparer.Ordinal);
        var conditions = new List<string>();
        var refused = false;
        AccessGranted? grant = null;
        var ended = false;
        var at = DateTimeOffset.MinValue;

        for (var i = 0; i < history.Count; i++)
        {
            var entry = history[i];
            if (entry.At < at) Fail(i, "time went backwards");
            at = entry.At;
            switch (entry.Event)
            {
                case ApplicationSubmitted e:
                    if (grant is not null) Fail(i, "an application was submitted again after its grant was issued");
                    if (owners is not null && history.Take(i).Select(h => h.Event).OfType<object>().LastOrDefault(x => x is ApplicationSubmitted or ApplicationReturned or ApplicationClosed or ApplicationRejected) is not ApplicationReturned)
                        Fail(i, "a resubmission that does not follow a return");
                    (owners, application) = (e.Owners, e.Application);
                    decided.Clear();
                    approved.Clear();
                    conditions.Clear();
                    refused = false;
                    break;
                case ApplicationReturned e:
                    if (string.IsNullOrWhiteSpace(e.Reason)) Fail(i, "a return without a reason");
                    if (refused || grant is not null) Fail(i, "a decided application was returned");
                    break;
                case DecisionRecorded e:
                    if (owners is null || !owners.ContainsKey(e.Institution)) Fail(i, $"{e.Institution} decided but owns none of the datasets of this round");
                    if (!decided.Add(e.Institution)) Fail(i, $"a second decision for the slot of {e.Institution} in the same round");
                    if (refused || grant is not null) Fail(i, "a decision after the application was decided");
                    if (string.IsNullOrWhiteSpace(e.Reason)) Fail(i, "a decision without a reason");
                    if (e.Approve)
                    {
                        approved.Add(e.Institution);
                        conditions.AddRange(e.Conditions);
                    }
                    else
                    {
                        refused = true;
                    }
                    break;
                case ApplicationRejected e:
                    if (!refused || string.IsNullOrWhiteSpace(e.Reason)) Fail(i, "a rejection without a refusal and its reason");
                    break;
                case ApplicationApproved:
                    if (refused || owners is null || !approved.SetEquals(owners.Keys)) Fail(i, "approved before every owner approved");
                    break;
                case AccessGranted e:
                    if (grant is not null) Fail(i, "a second grant");
                    if (history[i - 1].Event is not ApplicationApproved) Fail(i, "a grant not preceded by the approval");
                    if (refused || owners is null || !approved.SetEquals(owners.Keys)) Fail(i, "granted before every owner of the current round approved");
                    if (e.ValidUntil != e.ValidFrom.AddMonths(application!.ProcessingMonths)) Fail(i, "the validity is not the processing period");
                    if (!e.Conditions.OrderBy(c => c, StringComparer.Ordinal).SequenceEqual(conditions.OrderBy(c => c, StringComparer.Ordinal)))
                        Fail(i, "the grant's conditions are not those of the approvals");
                    if (!e.DatasetVersions.Keys.ToHashSet().SetEquals(owners.Values.SelectMany(d => d))) Fail(i, "the grant does not cover exactly the reviewed datasets");
                    grant = e;
                    break;
                case AccessRevoked e:
                    if (grant is null || ended) Fail(i, "revoked without an active grant");
                    if (string.IsNullOrWhiteSpace(e.Reason)) Fail(i, "a revocation without a reason");
                    ended = true;
                    break;
                case AccessExpired:
                    if (grant is null || ended) Fail(i, "expired without an active grant");
                    if (entry.At < grant!.ValidUntil) Fail(i, "expired before its end");
                    ended = true;
                    break;
                case ApplicationClosed e:
                    if (string.IsNullOrWhiteSpace(e.Reason)) Fail(i, "closed without a reason");
                    if (grant is not null && ended) Fail(i, "closed after its grant ended");
                    if (grant is not null) ended = true;
                    break;
                case null when entry.Read is { } read:
                    var covers = grant is not null && grant.Principals.Contains(read.Principal)
                        && grant.DatasetVersions.TryGetValue(read.Dataset, out var pinned) && pinned == read.Version;
                    var live = grant is not null && !ended && entry.At >= grant.ValidFrom && entry.At < grant.ValidUntil;
                    var fits = grant is not null && read.Purpose == grant.Purpose && grant.Actions.Contains(read.Action);
                    if (read.Verdict.Permit)
                    {
                        if (grant is null) Fail(i, "a permitted read without any grant");
                        if (ended) Fail(i, "a permitted read after the grant was revoked, expired or closed");
                        if (!live) Fail(i, "a permitted read outside the grant's validity");
                        if (!covers || !fits) Fail(i, "a permitted read the grant does not cover");
                        if (read.Verdict.GrantId != grant!.GrantId) Fail(i, "the permit does not name the grant");
                    }
                    else if (covers && live && fits)
                    {
                        Fail(i, $"a read the live grant covers was denied: {read.Verdict.Reason}");
                    }
                    if (!read.Verdict.Permit && string.IsNullOrWhiteSpace(read.Verdict.Reason)) Fail(i, "a denial without a reason");
                    break;
            }
        }
    }

    /// <summary>Returned, rejected and closed applications and ended grants always say why.</summary>
    private static void TerminalStatesCarryAReason(int seed, AccessRequestState s, object after)
    {
        if (s.Status is ApplicationStatus.Returned or ApplicationStatus.Rejected or ApplicationStatus.Closed or ApplicationStatus.Approved
            && string.IsNullOrWhiteSpace(s.StatusReason))
            throw new XunitException($"seed {seed}: {s.Status} without a reason after {after.GetType().Name}");
        if (s.Grant is { Status: not GrantStatus.Active, StatusReason: var why } && string.IsNullOrWhiteSpace(why))
            throw new XunitException($"seed {seed}: grant {s.Grant.Status} without a reason after {after.GetType().Name}");
    }

    private static (AccessApplication, RequestedData) RandomApplication(Random rng)
    {
        var datasets = DatasetIds.Where(_ => rng.Next(2) == 0).ToArray();
        if (datasets.Length == 0) datasets = [Pick(rng, DatasetIds)];
        var actions = Enum.GetValues<PermittedAction>().Where(_ => rng.Next(2) == 0).ToArray();
        if (actions.Length == 0) actions = [PermittedAction.Read];
        var application = new AccessApplication(
            "Glucose control", Pick(rng, Purposes), "Fit models.", "Better care.", datasets, actions, false, null,
            rng.Next(12) == 0 ? "" : "Inside the platform only.", rng.Next(1, 4), [.. new[] { "bob", "carol" }.Where(_ => rng.Next(2) == 0)]);
        var unusable = rng.Next(15) == 0 ? new Dictionary<string, string> { ["ds-x"] = "does not exist" } : new Dictionary<string, string>();
        var data = new RequestedData(
            datasets.GroupBy(d => OwnerOf[d]).ToDictionary(g => g.Key, g => g.ToArray()),
            datasets.ToDictionary(d => d, d => $"1.{d[^1] - 'a'}.0"),
            unusable);
        return (application, data);
    }

    private static StewardDecision RandomDecision(Random rng) => rng.Next(5) switch
    {
        0 => new StewardDecision(false, RandomReason(rng) ?? "Refused."),
        _ => new StewardDecision(true, RandomReason(rng) ?? "Approved.", [.. new[] { "no linking", "cite the cohort", "report results" }.Where(_ => rng.Next(3) == 0)]),
    };

    /// <summary>Mostly a reason; sometimes blank, which every command must refuse.</summary>
    private static string? RandomReason(Random rng) => rng.Next(10) switch
    {
        0 => " ",
        1 => null,
        var n => $"reason {n}",
    };

    private static T Pick<T>(Random rng, IReadOnlyList<T> items) => items[rng.Next(items.Count)];

    private static string Describe(Entry e) => e.Event?.GetType().Name ?? $"read by {e.Read!.Principal} of {e.Read.Dataset} ({e.Read.Verdict.Reason})";
}
