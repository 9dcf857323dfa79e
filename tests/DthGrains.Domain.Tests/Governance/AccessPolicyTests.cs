using DthGrains.Contracts.Governance;
using DthGrains.Domain.Governance;
using static DthGrains.Domain.Tests.Governance.Access;

namespace DthGrains.Domain.Tests.Governance;

/// <summary>The one policy decision point: every reason to deny, and a permit that names its grant.</summary>
public sealed class AccessPolicyTests
{
    private static AccessPolicy.Verdict Evaluate(AccessGrant[] grants, string dataset = "ds-a", PermittedAction action = PermittedAction.Read,
        EhdsPurpose? purpose = EhdsPurpose.ScientificResearch, DateTimeOffset? now = null, string principal = "alice", string version = "1.0.0") =>
        AccessPolicy.Evaluate(grants, principal, dataset, version, action, purpose, now ?? Now.AddDays(1));

    private static void Denied(AccessPolicy.Verdict verdict, string because)
    {
        verdict.Permit.Should().BeFalse();
        verdict.GrantId.Should().BeNull();
        verdict.Reason.Should().Contain(because);
    }

    [Fact]
    public void A_live_grant_permits_and_names_itself()
    {
        var verdict = Evaluate([Grant()]);
        verdict.Permit.Should().BeTrue();
        verdict.GrantId.Should().Be("grant-1");
        verdict.Reason.Should().Be($"permitted by grant grant-1 until {Now.AddMonths(6):O}");
    }

    [Fact]
    public void No_grant_denies() => Denied(Evaluate([]), "No access grant covers 'alice' for dataset 'ds-a'");

    [Fact]
    public void A_grant_of_another_principal_denies() => Denied(Evaluate([Grant(principals: ["bob"])]), "No access grant covers 'alice'");

    [Fact]
    public void A_grant_for_another_dataset_denies() => Denied(Evaluate([Grant(datasets: ["ds-b"])]), "No access grant covers 'alice' for dataset 'ds-a'");

    [Fact]
    public void A_grant_covers_the_version_its_stewards_reviewed_not_a_later_release() =>
        Denied(Evaluate([Grant()], version: "2.0.0"), "Grant grant-1 covers version 1.0.0 of dataset 'ds-a', the one its stewards reviewed, not 2.0.0");

    [Fact]
    public void A_grant_recorded_for_the_latest_version_covers_every_version()
    {
        var grant = Grant() with { DatasetVersions = new Dictionary<string, string> { ["ds-a"] = "latest" } };
        Evaluate([grant], version: "2.0.0").Permit.Should().BeTrue();
    }

    [Fact]
    public void A_revoked_grant_denies_with_its_reason() =>
        Denied(Evaluate([Grant(GrantStatus.Revoked, reason: "revoked by umcg: breach")]), "Grant grant-1 is revoked (revoked by umcg: breach).");

    [Fact]
    public void A_closed_grant_denies() => Denied(Evaluate([Grant(GrantStatus.Closed, reason: "closed by the applicant: done")]), "is closed");

    [Fact]
    public void An_expired_grant_denies_even_before_its_end() =>
        Denied(Evaluate([Grant(GrantStatus.Expired)], now: Now.AddDays(1)), "expired at");

    [Fact]
    public void An_active_grant_past_valid_until_denies_before_the_reminder_fires()
    {
        var until = Now.AddMonths(6);
        Evaluate([Grant()], now: until.AddTicks(-1)).Permit.Should().BeTrue();
        Denied(Evaluate([Grant()], now: until), $"Grant grant-1 expired at {until:O}.");
        Denied(Evaluate([Grant()], now: until.AddYears(1)), "expired at");
    }

    [Fact]
    public void A_grant_not_yet_valid_denies()
    {
        Denied(Evaluate([Grant(from: Now.AddDays(2))], now: Now.AddDays(1)), "is valid only from");
        Evaluate([Grant(from: Now.AddDays(2))], now: Now.AddDays(2)).Permit.Should().BeTrue();
    }

    [Fact]
    public void A_grant_for_another_purpose_denies() =>
        Denied(Evaluate([Grant()], purpose: EhdsPurpose.AiTraining), "is for the purpose 'scientific-research', not 'ai-training'");

    [Fact]
    public void No_stated_purpose_denies_and_says_which_to_state() =>
        Denied(Evaluate([Grant()], purpose: null), "?purpose=scientific-research");

    [Fact]
    public void An_action_the_grant_does_not_permit_denies() =>
        Denied(Evaluate([Grant(actions: [PermittedAction.Read, PermittedAction.ExportAggregate])], action: PermittedAction.Simulate),
            "permits read, export-aggregate, not simulate");

    [Fact]
    public void Any_live_grant_among_several_permits_and_is_the_one_named()
    {
        var verdict = Evaluate([Grant(GrantStatus.Revoked, id: "grant-old", reason: "r"), Grant(id: "grant-new", until: Now.AddMonths(1))]);
        verdict.Permit.Should().BeTrue();
        verdict.GrantId.Should().Be("grant-new");
    }

    [Fact]
    public void With_only_dead_grants_the_reason_is_that_of_the_latest_ending()
    {
        var verdict = Evaluate([Grant(GrantStatus.Revoked, id: "grant-old", until: Now.AddMonths(1), reason: "r"), Grant(GrantStatus.Expired, id: "grant-new", until: Now.AddMonths(12))]);
        Denied(verdict, "Grant grant-new expired");
    }

    [Fact]
    public void Kebab_names_round_trip()
    {
        foreach (var purpose in Enum.GetValues<EhdsPurpose>())
        {
            AccessPolicy.TryParse<EhdsPurpose>(AccessPolicy.Kebab(purpose), out var back).Should().BeTrue();
            back.Should().Be(purpose);
        }
        AccessPolicy.Kebab(ApplicationStatus.UnderReview).Should().Be("under-review");
        AccessPolicy.TryParse<ApplicationStatus>("UnderReview", out _).Should().BeFalse();
        AccessPolicy.TryParse<ApplicationStatus>(null, out _).Should().BeFalse();
    }
}
