using DthGrains.Contracts.Governance;
using DthGrains.Contracts.Platform;
using DthGrains.Domain.Governance;
using DthGrains.Domain.Platform;
using static DthGrains.Domain.Tests.Governance.Access;

namespace DthGrains.Domain.Tests.Governance;

/// <summary>Every transition of the access workflow and every refused one.</summary>
public sealed class GovernanceDecisionsTests
{
    // ---- submit ----

    [Fact]
    public void Submitting_records_one_event_with_the_owners_and_pinned_versions_and_folds_into_pending_slots()
    {
        var initial = AccessRequestState.Initial(Id);
        var decision = GovernanceDecisions.Submit(initial, Application(), Alice, TwoOwners(), Now);

        decision.Events.Should().ContainSingle().Which.Should().BeOfType<ApplicationSubmitted>();
        var s = Apply(initial, decision);
        s.Exists.Should().BeTrue();
        s.Applicant.Should().Be("alice");
        s.ApplicantInstitution.Should().Be("inria");
        s.Status.Should().Be(ApplicationStatus.Submitted);
        s.StatusReason.Should().BeNull();
        s.Application!.Persons.Should().Equal("bob");
        s.Slots.Select(o => o.Institution).Should().Equal("charite", "umcg");
        s.Slots.Should().OnlyContain(o => o.Decision == SlotDecision.Pending && o.DecidedBy == null && o.Conditions.Length == 0);
        s.SlotOf("umcg")!.Datasets.Should().Equal("ds-b", "ds-c");
        s.DatasetVersions.Should().ContainKey("ds-b").WhoseValue.Should().Be("2.1.0");
        s.Grant.Should().BeNull();
        s.Version.Should().Be(1);
        s.SubmittedAt.Should().Be(Now);
    }

    [Fact]
    public void Only_researchers_submit()
    {
        Refused(GovernanceDecisions.Submit(AccessRequestState.Initial(Id), Application(), ChariteSteward, TwoOwners(), Now), ProblemKind.Forbidden);
        Refused(GovernanceDecisions.Submit(AccessRequestState.Initial(Id), Application(), new Actor("x", "x", "inria", []), TwoOwners(), Now), ProblemKind.Forbidden);
    }

    public static TheoryData<string, AccessApplication> InvalidApplications()
    {
        var a = Application();
        return new()
        {
            { "title", a with { Title = " " } },
            { "title", a with { Title = new string('t', 201) } },
            { "title", a with { Title = "tab\there" } },
            { "purpose", a with { Purpose = (EhdsPurpose)99 } },
            { "intendedUse", a with { IntendedUse = "" } },
            { "expectedBenefit", a with { ExpectedBenefit = "" } },
            { "safeguards", a with { Safeguards = "" } },
            { "datasets", a with { Datasets = [] } },
            { "datasets", a with { Datasets = [.. Enumerable.Range(0, 51).Select(i => $"ds-{i}")] } },
            { "actions", a with { Actions = [] } },
            { "actions", a with { Actions = [PermittedAction.Read, (PermittedAction)9] } },
            { "processingMonths", a with { ProcessingMonths = 0 } },
            { "processingMonths", a with { ProcessingMonths = GovernanceDecisions.MaxProcessingMonths + 1 } },
            { "persons", a with { Persons = ["Not An Id"] } },
            { "persons", a with { Persons = [.. Enumerable.Range(0, 51).Select(i => $"p-{i}")] } },
            { "pseudonymisationJustification", a with { Pseudonymised = true, PseudonymisationJustification = " " } },
        };
    }

    [Theory]
    [MemberData(nameof(InvalidApplications))]
    public void An_invalid_application_names_the_field(string field, AccessApplication application)
    {
        var problem = Refused(GovernanceDecisions.Submit(AccessRequestState.Initial(Id), application, Alice, TwoOwners(), Now), ProblemKind.Validation);
        problem.Errors!.Keys.Should().Equal(field);
    }

    [Fact]
    public void Pseudonymised_data_with_a_justification_are_accepted()
    {
        var a = Application() with { Pseudonymised = true, PseudonymisationJustification = "Linkage across visits needs stable pseudonyms." };
        GovernanceDecisions.Submit(AccessRequestState.Initial(Id), a, Alice, TwoOwners(), Now).Problem.Should().BeNull();
    }

    [Fact]
    public void Unusable_datasets_are_each_named_under_datasets()
    {
        var data = TwoOwners() with { Unusable = new Dictionary<string, string> { ["ds-x"] = "does not exist", ["ds-y"] = "is withdrawn" } };
        var problem = Refused(GovernanceDecisions.Submit(AccessRequestState.Initial(Id), Application(), Alice, data, Now), ProblemKind.Validation);
        problem.Errors!["datasets"].Should().BeEquivalentTo("'ds-x': does not exist", "'ds-y': is withdrawn");
    }

    [Fact]
    public void Submitting_an_existing_request_again_is_a_conflict_naming_its_state()
    {
        var problem = Refused(GovernanceDecisions.Submit(Submitted(), Application(), Alice, TwoOwners(), Now), ProblemKind.Conflict);
        problem.Detail.Should().Contain("submitted");
        problem.CurrentVersion.Should().Be(1);
        Refused(GovernanceDecisions.Submit(Submitted(), Application(), Bob, TwoOwners(), Now), ProblemKind.Conflict);
        Refused(GovernanceDecisions.Submit(Granted(), Application(), Alice, TwoOwners(), Now), ProblemKind.Conflict);
    }

    [Fact]
    public void Only_the_applicant_resubmits_a_returned_application()
    {
        Refused(GovernanceDecisions.Submit(Returned(), Application(), Bob, TwoOwners(), Now), ProblemKind.Forbidden);
        Refused(GovernanceDecisions.Submit(Returned(), Application(), UmcgSteward, TwoOwners(), Now), ProblemKind.Forbidden);
    }

    [Fact]
    public void A_resubmission_is_validated_again()
    {
        var problem = Refused(GovernanceDecisions.Submit(Returned(), Application() with { Safeguards = "" }, Alice, TwoOwners(), Now), ProblemKind.Validation);
        problem.Errors!.Keys.Should().Equal("safeguards");
    }

    [Fact]
    public void A_rejected_or_closed_application_cannot_be_resubmitted()
    {
        var rejected = Decided(Submitted(), UmcgSteward, No());
        Refused(GovernanceDecisions.Submit(rejected, Application(), Alice, TwoOwners(), Now), ProblemKind.Conflict);
        var closed = Apply(Submitted(), GovernanceDecisions.Close(Submitted(), "No longer needed.", Alice, Now));
        Refused(GovernanceDecisions.Submit(closed, Application(), Alice, TwoOwners(), Now), ProblemKind.Conflict);
    }

    // ---- return and resubmit ----

    [Fact]
    public void A_steward_of_an_owner_returns_the_application_for_changes_with_a_reason()
    {
        var d = GovernanceDecisions.Return(Submitted(), "Name the variables you need.", UmcgSteward, Now.AddHours(2));
        d.Events.Should().Equal(new ApplicationReturned(Id, "stew-umcg", "umcg", "Name the variables you need.", Now.AddHours(2)));
        var s = Apply(Submitted(), d);
        s.Status.Should().Be(ApplicationStatus.Returned);
        s.StatusReason.Should().Be("returned by umcg: Name the variables you need.");
        s.UpdatedAt.Should().Be(Now.AddHours(2));
    }

    [Fact]
    public void Returning_is_refused_to_non_stewards_non_owners_without_a_reason_and_outside_review()
    {
        Refused(GovernanceDecisions.Return(AccessRequestState.Initial(Id), "x", UmcgSteward, Now), ProblemKind.NotFound);
        Refused(GovernanceDecisions.Return(Submitted(), "x", Alice, Now), ProblemKind.Forbidden);
        Refused(GovernanceDecisions.Return(Submitted(), "x", OtherSteward, Now), ProblemKind.Forbidden);
        Refused(GovernanceDecisions.Return(Submitted(), " ", UmcgSteward, Now), ProblemKind.Validation);
        Refused(GovernanceDecisions.Return(Returned(), "again", UmcgSteward, Now), ProblemKind.Conflict);
        Refused(GovernanceDecisions.Return(Granted(), "late", UmcgSteward, Now), ProblemKind.Conflict);
        Refused(GovernanceDecisions.Return(Decided(Submitted(), UmcgSteward, No()), "late", ChariteSteward, Now), ProblemKind.Conflict);
    }

    [Fact]
    public void Deciding_a_returned_application_is_a_conflict()
    {
        var problem = Refused(GovernanceDecisions.Decide(Returned(), Yes(), ChariteSteward, Now), ProblemKind.Conflict);
        problem.Detail.Should().Contain("returned");
    }

    [Fact]
    public void A_resubmission_after_a_return_resets_every_slot_and_earlier_approvals_no_longer_count()
    {
        var approved = Decided(Submitted(), ChariteSteward, Yes("fine", "no linking"));
        var returned = Apply(approved, GovernanceDecisions.Return(approved, "Add the ethics reference.", UmcgSteward, Now));
        returned.SlotOf("charite")!.Decision.Should().Be(SlotDecision.Approved, "a return keeps the record until the resubmission");

        var resubmitted = Apply(returned, GovernanceDecisions.Submit(returned, Application() with { EthicsApprovalReference = "EK-2026-17" }, Alice, TwoOwners(), Now.AddDays(1)));
        resubmitted.Status.Should().Be(ApplicationStatus.Submitted);
        resubmitted.StatusReason.Should().BeNull();
        resubmitted.Application!.EthicsApprovalReference.Should().Be("EK-2026-17");
        resubmitted.Slots.Should().OnlyContain(o => o.Decision == SlotDecision.Pending && o.Conditions.Length == 0 && o.DecidedBy == null);

        var umcgOnly = GovernanceDecisions.Decide(resubmitted, Yes(), UmcgSteward, Now.AddDays(2));
        umcgOnly.Events.Should().ContainSingle().Which.Should().BeOfType<DecisionRecorded>("charite has to decide again");
    }

    [Fact]
    public void A_resubmission_may_change_the_datasets_and_so_the_owners()
    {
        var resubmitted = Apply(Returned(), GovernanceDecisions.Submit(Returned(), Application() with { Datasets = ["ds-a"] }, Alice, OneOwner(), Now));
        resubmitted.Slots.Select(o => o.Institution).Should().Equal("charite");
        Refused(GovernanceDecisions.Decide(resubmitted, Yes(), UmcgSteward, Now), ProblemKind.Forbidden);
    }

    // ---- decide ----

    [Fact]
    public void Decisions_are_taken_by_stewards_of_an_owning_institution()
    {
        Refused(GovernanceDecisions.Decide(AccessRequestState.Initial(Id), Yes(), ChariteSteward, Now), ProblemKind.NotFound);
        Refused(GovernanceDecisions.Decide(Submitted(), Yes(), Alice, Now), ProblemKind.Forbidden);
        Refused(GovernanceDecisions.Decide(Submitted(), Yes(), new Actor("adm", "adm", "charite", [Roles.PlatformAdmin, Roles.InstitutionAdmin]), Now), ProblemKind.Forbidden);
        Refused(GovernanceDecisions.Decide(Submitted(), Yes(), Steward("stew-none", null), Now), ProblemKind.Forbidden);
        var problem = Refused(GovernanceDecisions.Decide(Submitted(), Yes(), OtherSteward, Now), ProblemKind.Forbidden);
        problem.Detail.Should().Contain("karolinska");
    }

    [Fact]
    public void A_first_approval_records_the_slot_and_puts_the_application_under_review()
    {
        var d = GovernanceDecisions.Decide(Submitted(), Yes("Fine.", "no linking", " ", "report results"), ChariteSteward, Now.AddHours(1));
        d.Events.Should().ContainSingle().Which.Should().BeEquivalentTo(
            new DecisionRecorded(Id, "charite", true, "Fine.", ["no linking", "report results"], "stew-charite", Now.AddHours(1)));
        var s = Apply(Submitted(), d);
        s.Status.Should().Be(ApplicationStatus.UnderReview);
        s.SlotOf("charite").Should().BeEquivalentTo(new ReviewSlot("charite", ["ds-a"], SlotDecision.Approved, "Fine.", ["no linking", "report results"], "stew-charite", Now.AddHours(1)));
        s.SlotOf("umcg")!.Decision.Should().Be(SlotDecision.Pending);
        s.Grant.Should().BeNull();
        s.Version.Should().Be(2);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void A_decision_needs_a_reason(string reason)
    {
        var problem = Refused(GovernanceDecisions.Decide(Submitted(), new StewardDecision(true, reason), ChariteSteward, Now), ProblemKind.Validation);
        problem.Errors!.Keys.Should().Equal("reason");
        Refused(GovernanceDecisions.Decide(Submitted(), new StewardDecision(false, new string('r', 4001)), ChariteSteward, Now), ProblemKind.Validation);
    }

    [Fact]
    public void A_decided_slot_is_a_conflict_that_names_the_decision_whoever_of_that_institution_tries_again()
    {
        var s = Decided(Submitted(), ChariteSteward, Yes("Fine."), Now.AddHours(1));
        foreach (var steward in new[] { ChariteSteward, ChariteSteward2 })
        foreach (var d in new[] { Yes("again"), No("changed my mind") })
        {
            var problem = Refused(GovernanceDecisions.Decide(s, d, steward, Now.AddHours(2)), ProblemKind.Conflict);
            problem.Detail.Should().Contain("charite already decided: approved by stew-charite").And.Contain("Fine.");
            problem.CurrentVersion.Should().Be(s.Version);
        }
    }

    [Fact]
    public void Two_stewards_deciding_on_the_same_version_yield_one_decision_the_second_is_a_conflict()
    {
        var s = Submitted();
        var first = GovernanceDecisions.Decide(s, Yes(), ChariteSteward, Now);
        var second = GovernanceDecisions.Decide(s, No(), ChariteSteward2, Now);
        first.Problem.Should().BeNull();
        second.Problem.Should().BeNull("both were taken on the same version: the store's expected version picks the winner");
        var after = Apply(s, first);
        var replayed = Refused(GovernanceDecisions.Decide(after, No(), ChariteSteward2, Now), ProblemKind.Conflict);
        replayed.Detail.Should().Contain("approved by stew-charite");
    }

    [Fact]
    public void One_refusal_rejects_the_application_with_the_reason_and_drops_conditions()
    {
        var s = Decided(Submitted(), ChariteSteward, Yes());
        var d = GovernanceDecisions.Decide(s, new StewardDecision(false, "Consent does not cover this purpose.", ["ignored"]), UmcgSteward, Now.AddHours(3));
        d.Events.Should().HaveCount(2);
        d.Events[0].Should().BeEquivalentTo(new DecisionRecorded(Id, "umcg", false, "Consent does not cover this purpose.", [], "stew-umcg", Now.AddHours(3)));
        d.Events[1].Should().Be(new ApplicationRejected(Id, "umcg", "Consent does not cover this purpose.", Now.AddHours(3)));
        var rejected = Apply(s, d);
        rejected.Status.Should().Be(ApplicationStatus.Rejected);
        rejected.StatusReason.Should().Be("refused by umcg: Consent does not cover this purpose.");
        rejected.SlotOf("umcg")!.Decision.Should().Be(SlotDecision.Refused);
        rejected.Grant.Should().BeNull();
    }

    [Fact]
    public void A_first_refusal_rejects_even_with_other_owners_pending_and_they_can_no_longer_decide()
    {
        var rejected = Decided(Submitted(), ChariteSteward, No());
        rejected.Status.Should().Be(ApplicationStatus.Rejected);
        var problem = Refused(GovernanceDecisions.Decide(rejected, Yes(), UmcgSteward, Now), ProblemKind.Conflict);
        problem.Detail.Should().Contain("rejected").And.Contain("refused by charite");
        Refused(GovernanceDecisions.Decide(rejected, Yes(), ChariteSteward2, Now), ProblemKind.Conflict).Detail.Should().Contain("charite already decided: refused");
    }

    [Fact]
    public void Approval_by_every_owner_issues_exactly_one_grant_with_the_union_of_conditions_valid_for_the_processing_period()
    {
        var s = Decided(Submitted(), ChariteSteward, Yes("ok", "no linking", "report results"));
        var at = Now.AddDays(3);
        var d = GovernanceDecisions.Decide(s, Yes("ok", "cite the cohort"), UmcgSteward, at);

        d.Events.Select(e => e.GetType()).Should().Equal(typeof(DecisionRecorded), typeof(ApplicationApproved), typeof(AccessGranted));
        var granted = d.Events.OfType<AccessGranted>().Single();
        granted.GrantId.Should().Be($"grant-{Id}");
        granted.Principals.Should().Equal("alice", "bob");
        granted.DatasetVersions.Should().BeEquivalentTo(new Dictionary<string, string> { ["ds-a"] = "1.0.0", ["ds-b"] = "2.1.0", ["ds-c"] = "0.3.0" });
        granted.Purpose.Should().Be(EhdsPurpose.ScientificResearch);
        granted.Actions.Should().Equal(PermittedAction.Read, PermittedAction.Simulate);
        granted.Conditions.Should().BeEquivalentTo("no linking", "report results", "cite the cohort");
        granted.ValidFrom.Should().Be(at);
        granted.ValidUntil.Should().Be(at.AddMonths(6));

        var after = Apply(s, d);
        after.Status.Should().Be(ApplicationStatus.Approved);
        after.StatusReason.Should().Be("approved by every owning institution");
        after.Grant.Should().BeEquivalentTo(new AccessGrant($"grant-{Id}", ["alice", "bob"], granted.DatasetVersions, EhdsPurpose.ScientificResearch,
            [PermittedAction.Read, PermittedAction.Simulate], granted.Conditions, at, at.AddMonths(6), GrantStatus.Active, null));
    }

    [Fact]
    public void With_one_owner_the_first_approval_issues_the_grant()
    {
        var s = Submitted(OneOwner(), Application(12) with { Datasets = ["ds-a"], Persons = [] });
        var d = GovernanceDecisions.Decide(s, Yes(), ChariteSteward, Now);
        d.Events.OfType<AccessGranted>().Should().ContainSingle().Which.ValidUntil.Should().Be(Now.AddMonths(12));
        d.Events.OfType<AccessGranted>().Single().Principals.Should().Equal("alice");
    }

    [Fact]
    public void The_applicant_named_among_the_persons_is_a_principal_once()
    {
        var s = Submitted(OneOwner(), Application() with { Datasets = ["ds-a"], Persons = ["alice", "bob"] });
        Decided(s, ChariteSteward, Yes()).Grant!.Principals.Should().Equal("alice", "bob");
    }

    [Fact]
    public void After_approval_no_slot_can_be_decided_again()
    {
        var granted = Granted();
        Refused(GovernanceDecisions.Decide(granted, No(), UmcgSteward, Now), ProblemKind.Conflict).Detail.Should().Contain("umcg already decided: approved");
        Refused(GovernanceDecisions.Decide(granted, No(), ChariteSteward2, Now), ProblemKind.Conflict);
    }

    // ---- revoke ----

    [Fact]
    public void A_steward_of_any_owner_revokes_an_active_grant_with_a_reason()
    {
        foreach (var steward in new[] { ChariteSteward, UmcgSteward })
        {
            var d = GovernanceDecisions.Revoke(Granted(), "Data shared outside the platform.", steward, Now.AddDays(1));
            d.Events.Should().Equal(new AccessRevoked(Id, $"grant-{Id}", steward.Subject, steward.Institution!, "Data shared outside the platform.", Now.AddDays(1)));
            var s = Apply(Granted(), d);
            s.Grant!.Status.Should().Be(GrantStatus.Revoked);
            s.Grant.StatusReason.Should().Be($"revoked by {steward.Institution}: Data shared outside the platform.");
        }
    }

    [Fact]
    public void Only_an_active_grant_is_revoked_by_a_steward_of_an_owner_with_a_reason()
    {
        Refused(GovernanceDecisions.Revoke(AccessRequestState.Initial(Id), "x", UmcgSteward, Now), ProblemKind.NotFound);
        Refused(GovernanceDecisions.Revoke(Submitted(), "x", UmcgSteward, Now), ProblemKind.Conflict).Detail.Should().Contain("none was issued");
        Refused(GovernanceDecisions.Revoke(Granted(), "x", Alice, Now), ProblemKind.Forbidden);
        Refused(GovernanceDecisions.Revoke(Granted(), "x", OtherSteward, Now), ProblemKind.Forbidden);
        Refused(GovernanceDecisions.Revoke(Granted(), "", UmcgSteward, Now), ProblemKind.Validation);
        var revoked = Apply(Granted(), GovernanceDecisions.Revoke(Granted(), "breach", UmcgSteward, Now));
        Refused(GovernanceDecisions.Revoke(revoked, "again", ChariteSteward, Now), ProblemKind.Conflict).Detail.Should().Contain("revoked by umcg: breach");
        var expired = Apply(Granted(), GovernanceDecisions.Expire(Granted(), Granted().Grant!.ValidUntil));
        Refused(GovernanceDecisions.Revoke(expired, "late", ChariteSteward, Now), ProblemKind.Conflict);
        var closed = Apply(Granted(), GovernanceDecisions.Close(Granted(), "Done early.", Alice, Now));
        Refused(GovernanceDecisions.Revoke(closed, "late", ChariteSteward, Now), ProblemKind.Conflict);
    }

    // ---- close ----

    [Fact]
    public void The_applicant_closes_an_open_application_with_a_reason()
    {
        var underReview = Decided(Submitted(), ChariteSteward, Yes());
        foreach (var s in new[] { Submitted(), underReview, Returned() })
        {
            var d = GovernanceDecisions.Close(s, "No longer needed.", Alice, Now.AddDays(1));
            d.Events.Should().Equal(new ApplicationClosed(Id, "alice", "No longer needed.", Now.AddDays(1)));
            var closed = Apply(s, d);
            closed.Status.Should().Be(ApplicationStatus.Closed);
            closed.StatusReason.Should().Be("closed by the applicant: No longer needed.");
            Refused(GovernanceDecisions.Decide(closed, Yes(), UmcgSteward, Now), ProblemKind.Conflict);
            Refused(GovernanceDecisions.Close(closed, "again", Alice, Now), ProblemKind.Conflict);
        }
    }

    [Fact]
    public void The_applicant_ends_an_active_grant_early_the_application_stays_approved()
    {
        var s = Apply(Granted(), GovernanceDecisions.Close(Granted(), "Study finished.", Alice, Now.AddDays(30)));
        s.Status.Should().Be(ApplicationStatus.Approved);
        s.Grant!.Status.Should().Be(GrantStatus.Closed);
        s.Grant.StatusReason.Should().Be("closed by the applicant: Study finished.");
        Refused(GovernanceDecisions.Close(s, "again", Alice, Now), ProblemKind.Conflict);
    }

    [Fact]
    public void Only_the_applicant_closes_and_only_what_is_open()
    {
        Refused(GovernanceDecisions.Close(AccessRequestState.Initial(Id), "x", Alice, Now), ProblemKind.NotFound);
        Refused(GovernanceDecisions.Close(Submitted(), "x", Bob, Now), ProblemKind.Forbidden);
        Refused(GovernanceDecisions.Close(Submitted(), "x", UmcgSteward, Now), ProblemKind.Forbidden);
        Refused(GovernanceDecisions.Close(Submitted(), " ", Alice, Now), ProblemKind.Validation);
        Refused(GovernanceDecisions.Close(Decided(Submitted(), UmcgSteward, No()), "x", Alice, Now), ProblemKind.Conflict);
        var revoked = Apply(Granted(), GovernanceDecisions.Revoke(Granted(), "breach", UmcgSteward, Now));
        Refused(GovernanceDecisions.Close(revoked, "x", Alice, Now), ProblemKind.Conflict);
    }

    // ---- expire ----

    [Fact]
    public void Expiry_happens_only_at_or_after_valid_until_and_only_once()
    {
        var granted = Granted();
        var until = granted.Grant!.ValidUntil;
        GovernanceDecisions.Expire(granted, until.AddTicks(-1)).Events.Should().BeEmpty();
        var d = GovernanceDecisions.Expire(granted, until);
        d.Events.Should().Equal(new AccessExpired(Id, $"grant-{Id}", until));
        var expired = Apply(granted, d);
        expired.Grant!.Status.Should().Be(GrantStatus.Expired);
        expired.Grant.StatusReason.Should().Be($"expired at {until:O}");
        GovernanceDecisions.Expire(expired, until.AddDays(1)).Events.Should().BeEmpty();
        GovernanceDecisions.Expire(expired, until.AddDays(1)).Problem.Should().BeNull();
    }

    [Fact]
    public void Expiry_does_nothing_without_an_active_grant()
    {
        var later = Now.AddYears(10);
        GovernanceDecisions.Expire(AccessRequestState.Initial(Id), later).Events.Should().BeEmpty();
        GovernanceDecisions.Expire(Submitted(), later).Events.Should().BeEmpty();
        GovernanceDecisions.Expire(Decided(Submitted(), UmcgSteward, No()), later).Events.Should().BeEmpty();
        var revoked = Apply(Granted(), GovernanceDecisions.Revoke(Granted(), "breach", UmcgSteward, Now));
        GovernanceDecisions.Expire(revoked, later).Events.Should().BeEmpty();
        revoked.Grant!.Status.Should().Be(GrantStatus.Revoked);
        var closed = Apply(Granted(), GovernanceDecisions.Close(Granted(), "done", Alice, Now));
        GovernanceDecisions.Expire(closed, later).Events.Should().BeEmpty();
    }

    [Fact]
    public void Every_event_increments_the_version()
    {
        var s = Granted();
        s.Version.Should().Be(5, "submitted, decision, decision, approved, granted");
        Apply(s, GovernanceDecisions.Revoke(s, "breach", UmcgSteward, Now)).Version.Should().Be(6);
    }
}
