using System.Collections.Immutable;
using DthGrains.Contracts.Governance;
using DthGrains.Contracts.Platform;
using DthGrains.Domain.Governance;
using DthGrains.Domain.Platform;

namespace DthGrains.Domain.Tests.Governance;

/// <summary>Access requests in known states, built only through the decide functions and the fold.</summary>
internal static class Access
{
    public const string Id = "req-1";
    public static readonly DateTimeOffset Now = new(2026, 11, 25, 10, 0, 0, TimeSpan.Zero);

    public static readonly Actor Alice = Researcher("alice", "inria");
    public static readonly Actor Bob = Researcher("bob", "inria");
    public static readonly Actor ChariteSteward = Steward("stew-charite", "charite");
    public static readonly Actor ChariteSteward2 = Steward("stew-charite-2", "charite");
    public static readonly Actor UmcgSteward = Steward("stew-umcg", "umcg");
    public static readonly Actor OtherSteward = Steward("stew-karolinska", "karolinska");

    public static Actor Researcher(string subject, string? institution) => new(subject, subject, institution, [Roles.Researcher]);
    public static Actor Steward(string subject, string? institution) => new(subject, subject, institution, [Roles.Steward]);

    /// <summary>Two owners: charite owns ds-a, umcg owns ds-b and ds-c.</summary>
    public static RequestedData TwoOwners() => new(
        new Dictionary<string, string[]> { ["umcg"] = ["ds-b", "ds-c"], ["charite"] = ["ds-a"] },
        new Dictionary<string, string> { ["ds-a"] = "1.0.0", ["ds-b"] = "2.1.0", ["ds-c"] = "0.3.0" },
        new Dictionary<string, string>());

    public static RequestedData OneOwner() => new(
        new Dictionary<string, string[]> { ["charite"] = ["ds-a"] },
        new Dictionary<string, string> { ["ds-a"] = "1.0.0" },
        new Dictionary<string, string>());

    public static AccessApplication Application(int months = 6, params PermittedAction[] actions) => new(
        "Glucose control in adolescents", EhdsPurpose.ScientificResearch, "Fit the Hovorka model to CGM traces.", "Better closed-loop tuning.",
        ["ds-a", "ds-b", "ds-c"], actions.Length == 0 ? [PermittedAction.Read, PermittedAction.Simulate] : actions, false, null,
        "Analysis only inside the platform; no re-identification.", months, ["bob", "bob"]);

    public static AccessRequestState Apply(AccessRequestState s, Decision d)
    {
        d.Problem.Should().BeNull();
        return d.Events.Aggregate(s, AccessRequestState.Evolve);
    }

    public static AccessRequestState Submitted(RequestedData? data = null, AccessApplication? application = null) =>
        Apply(AccessRequestState.Initial(Id), GovernanceDecisions.Submit(AccessRequestState.Initial(Id), application ?? Application(), Alice, data ?? TwoOwners(), Now));

    public static StewardDecision Yes(string reason = "Meets our criteria.", params string[] conditions) => new(true, reason, conditions);
    public static StewardDecision No(string reason = "The purpose does not justify pseudonymised data.") => new(false, reason);

    public static AccessRequestState Decided(AccessRequestState s, Actor steward, StewardDecision d, DateTimeOffset? at = null) =>
        Apply(s, GovernanceDecisions.Decide(s, d, steward, at ?? Now));

    /// <summary>Both owners approved: the grant is Active, valid from <see cref="Now"/> + 1h for 6 months.</summary>
    public static AccessRequestState Granted() =>
        Decided(Decided(Submitted(), ChariteSteward, Yes("ok", "no linking")), UmcgSteward, Yes("ok", "cite the cohort"), Now.AddHours(1));

    public static AccessRequestState Returned() => Apply(Submitted(), GovernanceDecisions.Return(Submitted(), "Name the variables you need.", UmcgSteward, Now));

    public static Problem Refused(Decision d, ProblemKind kind)
    {
        d.Events.Should().BeEmpty();
        d.Problem.Should().NotBeNull();
        d.Problem!.Kind.Should().Be(kind);
        return d.Problem;
    }

    public static AccessGrant Grant(
        GrantStatus status = GrantStatus.Active, string[]? principals = null, string[]? datasets = null, EhdsPurpose purpose = EhdsPurpose.ScientificResearch,
        PermittedAction[]? actions = null, DateTimeOffset? from = null, DateTimeOffset? until = null, string id = "grant-1", string? reason = null) =>
        new(id, principals ?? ["alice"], (datasets ?? ["ds-a"]).ToImmutableDictionary(d => d, _ => "1.0.0"), purpose, actions ?? [PermittedAction.Read],
            [], from ?? Now, until ?? Now.AddMonths(6), status, reason);
}
