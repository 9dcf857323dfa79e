using DthGrains.Contracts.Catalogue;
using DthGrains.Contracts.Platform;
using DthGrains.Domain.Catalogue;
using DthGrains.Domain.Platform;
using static DthGrains.Domain.Tests.Catalogue.Given;

namespace DthGrains.Domain.Tests.Catalogue;

/// <summary>Every lifecycle transition of a catalogue entry, and every refused one.</summary>
public sealed class CatalogueDecisionsTests
{
    // ---- draft ----

    [Fact]
    public void Drafting_records_one_event_and_folds_into_a_draft_of_the_publisher()
    {
        var initial = ResourceState.Initial("hovorka-2004");
        var metadata = Metadata();
        var decision = CatalogueDecisions.Draft(initial, ResourceKind.Model, metadata, "charite", Now);

        decision.Events.Should().Equal(new ResourceDrafted("hovorka-2004", ResourceKind.Model, "charite", metadata, Now));
        var s = Apply(initial, decision);
        s.Exists.Should().BeTrue();
        s.Kind.Should().Be(ResourceKind.Model);
        s.Publisher.Should().Be("charite");
        s.Status.Should().Be(ResourceStatus.Draft);
        s.Versions.Should().BeEmpty();
        s.LatestVersion.Should().BeNull();
        s.Version.Should().Be(1);
        s.CreatedAt.Should().Be(Now);
        s.UpdatedAt.Should().Be(Now);
    }

    [Fact]
    public void Drafting_twice_is_a_conflict_naming_the_current_version()
    {
        var problem = Refused(CatalogueDecisions.Draft(Draft(), ResourceKind.Model, Metadata(), "charite", Now), ProblemKind.Conflict);
        problem.CurrentVersion.Should().Be(1);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("Not An Id")]
    public void Drafting_without_an_institution_is_forbidden(string? publisher)
    {
        Refused(CatalogueDecisions.Draft(ResourceState.Initial("x1"), ResourceKind.Model, Metadata(), publisher, Now), ProblemKind.Forbidden);
    }

    // ---- revise ----

    [Fact]
    public void Revising_replaces_the_working_metadata()
    {
        var revised = Metadata("Hovorka model, revised");
        var s = Apply(Draft(), CatalogueDecisions.Revise(Draft(), revised, Now.AddHours(1)));
        s.Metadata.Should().Be(revised);
        s.UpdatedAt.Should().Be(Now.AddHours(1));
        s.Version.Should().Be(2);
    }

    [Fact]
    public void Revising_with_the_same_metadata_appends_nothing()
    {
        var s = Draft();
        CatalogueDecisions.Revise(s, s.Metadata!, Now).Should().Be(Decision.Nothing);
    }

    [Fact]
    public void Revising_a_missing_resource_is_not_found()
    {
        Refused(CatalogueDecisions.Revise(ResourceState.Initial("nope"), Metadata(), Now), ProblemKind.NotFound);
    }

    [Fact]
    public void Revising_after_withdrawal_is_a_conflict()
    {
        var problem = Refused(CatalogueDecisions.Revise(Withdrawn(), Metadata("Another title"), Now), ProblemKind.Conflict);
        problem.Detail.Should().Contain("withdrawn").And.Contain("Wrong parameters.");
    }

    // ---- release ----

    [Fact]
    public void Releasing_adds_an_immutable_version_with_the_metadata_it_was_released_with()
    {
        var draft = Draft();
        var decision = CatalogueDecisions.Release(draft, Release("1.0.0"), null, Now.AddDays(1));

        var released = decision.Events.Should().ContainSingle().Which.Should().BeOfType<ResourceVersionReleased>().Subject;
        released.Metadata.Should().BeSameAs(draft.Metadata);
        released.ConformsTo.Should().Equal("SBML");
        var s = Apply(draft, decision);
        s.Versions.Should().ContainSingle();
        s.Versions[0].Should().BeEquivalentTo(new { Version = "1.0.0", ReleaseNotes = "A release.", Checksum = "sha256:abc", ReleasedAt = Now.AddDays(1), Dataset = (DatasetFacts?)null, Credibility = (CredibilityRecord?)null });
        s.LatestVersion.Should().Be("1.0.0");
        s.Status.Should().Be(ResourceStatus.Draft);
    }

    [Fact]
    public void A_release_may_name_its_own_conformance()
    {
        var s = Apply(Draft(), CatalogueDecisions.Release(Draft(), Release("1.0.0") with { ConformsTo = ["CellML"] }, null, Now));
        s.Versions[0].ConformsTo.Should().Equal("CellML");
    }

    [Fact]
    public void Releasing_a_missing_resource_is_not_found()
    {
        Refused(CatalogueDecisions.Release(ResourceState.Initial("nope"), Release("1.0.0"), null, Now), ProblemKind.NotFound);
    }

    [Theory]
    [InlineData("1.0")]
    [InlineData("v1.0.0")]
    [InlineData("1.0.0+build.5")]
    [InlineData("01.0.0")]
    [InlineData("1.0.0-")]
    [InlineData("1.0.0-rc..1")]
    [InlineData("")]
    public void Releasing_an_invalid_semantic_version_is_refused_naming_the_field(string version)
    {
        var problem = Refused(CatalogueDecisions.Release(Draft(), Release(version), null, Now), ProblemKind.Validation);
        problem.Errors.Should().ContainKey("version");
    }

    [Theory]
    [InlineData("", "sha256:abc", "releaseNotes")]
    [InlineData("   ", "sha256:abc", "releaseNotes")]
    [InlineData("notes", "", "checksum")]
    [InlineData("notes", " ", "checksum")]
    public void Releasing_without_notes_or_checksum_is_refused(string notes, string checksum, string field)
    {
        var problem = Refused(CatalogueDecisions.Release(Draft(), Release("1.0.0", notes, checksum), null, Now), ProblemKind.Validation);
        problem.Errors.Should().ContainKey(field);
    }

    [Fact]
    public void Release_notes_and_checksums_have_a_length_cap()
    {
        Refused(CatalogueDecisions.Release(Draft(), Release("1.0.0", new string('n', 4001)), null, Now), ProblemKind.Validation).Errors.Should().ContainKey("releaseNotes");
        Refused(CatalogueDecisions.Release(Draft(), Release("1.0.0", checksum: "sha256:" + new string('a', 200)), null, Now), ProblemKind.Validation).Errors.Should().ContainKey("checksum");
        CatalogueDecisions.Release(Draft(), Release("1.0.0", new string('n', 4000)), null, Now).Problem.Should().BeNull();
    }

    [Fact]
    public void Releasing_the_same_version_again_is_a_conflict_because_versions_are_immutable()
    {
        var problem = Refused(CatalogueDecisions.Release(Released(), Release("1.0.0", "other notes", "sha256:def"), null, Now), ProblemKind.Conflict);
        problem.Detail.Should().Contain("immutable");
        problem.CurrentVersion.Should().Be(2);
    }

    [Theory]
    [InlineData("0.9.0")]
    [InlineData("1.0.0-rc.1")]
    [InlineData("0.0.1")]
    public void Releasing_a_version_that_is_not_newer_than_the_latest_is_a_conflict(string older)
    {
        var problem = Refused(CatalogueDecisions.Release(Released(), Release(older), null, Now), ProblemKind.Conflict);
        problem.Detail.Should().Contain("not newer").And.Contain("1.0.0");
    }

    [Fact]
    public void Pre_releases_lead_up_to_their_release_and_the_latest_follows_precedence()
    {
        var s = Released(ResourceKind.Model, "1.0.0", "1.1.0-alpha", "1.1.0-rc.1", "1.1.0", "2.0.0-beta.2");
        s.Versions.Select(v => v.Version).Should().Equal("1.0.0", "1.1.0-alpha", "1.1.0-rc.1", "1.1.0", "2.0.0-beta.2");
        s.LatestVersion.Should().Be("2.0.0-beta.2");
        Refused(CatalogueDecisions.Release(s, Release("2.0.0-beta.1"), null, Now), ProblemKind.Conflict);
        CatalogueDecisions.Release(s, Release("2.0.0"), null, Now).Problem.Should().BeNull();
    }

    [Fact]
    public void A_dataset_version_without_facts_is_refused_because_datasets_get_versions_by_upload()
    {
        var problem = Refused(CatalogueDecisions.Release(Draft(ResourceKind.Dataset), Release("1.0.0"), null, Now), ProblemKind.Validation);
        problem.Errors.Should().ContainKey("version");
        problem.Detail.Should().Contain("FHIR Bundle");
    }

    [Fact]
    public void A_dataset_version_with_facts_records_them()
    {
        var s = Released(ResourceKind.Dataset);
        s.Versions.Single().Dataset.Should().NotBeNull();
        s.Versions.Single().Dataset!.Subjects.Should().Be(2);
        s.Versions.Single().Dataset!.ResourcesByType.Should().Contain("Patient", 2);
    }

    [Fact]
    public void Releasing_after_deprecation_or_withdrawal_is_a_conflict()
    {
        Refused(CatalogueDecisions.Release(Deprecated(), Release("2.0.0"), null, Now), ProblemKind.Conflict);
        Refused(CatalogueDecisions.Release(Withdrawn(), Release("2.0.0"), null, Now), ProblemKind.Conflict);
    }

    [Fact]
    public void A_published_resource_takes_new_versions()
    {
        var s = Apply(Published(), CatalogueDecisions.Release(Published(), Release("1.0.1"), null, Now));
        s.Status.Should().Be(ResourceStatus.Published);
        s.LatestVersion.Should().Be("1.0.1");
    }

    // ---- publish ----

    [Fact]
    public void Publishing_a_draft_with_a_version_makes_it_published()
    {
        var decision = CatalogueDecisions.Publish(Released(), Now.AddDays(2));
        decision.Events.Should().Equal(new ResourcePublished("hovorka-2004", Now.AddDays(2)));
        var s = Apply(Released(), decision);
        s.Status.Should().Be(ResourceStatus.Published);
        s.StatusReason.Should().BeNull();
        s.UpdatedAt.Should().Be(Now.AddDays(2));
    }

    [Fact]
    public void Publishing_without_a_version_is_a_conflict()
    {
        var problem = Refused(CatalogueDecisions.Publish(Draft(), Now), ProblemKind.Conflict);
        problem.Detail.Should().Contain("no released version");
    }

    [Fact]
    public void Publishing_twice_is_a_no_op()
    {
        CatalogueDecisions.Publish(Published(), Now).Should().Be(Decision.Nothing);
    }

    [Fact]
    public void Publishing_a_missing_deprecated_or_withdrawn_resource_is_refused()
    {
        Refused(CatalogueDecisions.Publish(ResourceState.Initial("nope"), Now), ProblemKind.NotFound);
        Refused(CatalogueDecisions.Publish(Deprecated(), Now), ProblemKind.Conflict);
        Refused(CatalogueDecisions.Publish(Withdrawn(), Now), ProblemKind.Conflict);
    }

    // ---- deprecate ----

    [Fact]
    public void Deprecating_a_published_resource_records_the_reason()
    {
        var s = Deprecated();
        s.Status.Should().Be(ResourceStatus.Deprecated);
        s.StatusReason.Should().Be("Superseded by 2.0.0.");
    }

    [Fact]
    public void Deprecating_a_resource_that_is_not_published_is_a_conflict()
    {
        Refused(CatalogueDecisions.Deprecate(Draft(), "Old.", Now), ProblemKind.Conflict).Detail.Should().Contain("draft");
        Refused(CatalogueDecisions.Deprecate(Released(), "Old.", Now), ProblemKind.Conflict);
        Refused(CatalogueDecisions.Deprecate(Deprecated(), "Older still.", Now), ProblemKind.Conflict).Detail.Should().Contain("deprecated");
        Refused(CatalogueDecisions.Deprecate(Withdrawn(), "Old.", Now), ProblemKind.Conflict).Detail.Should().Contain("withdrawn");
        Refused(CatalogueDecisions.Deprecate(ResourceState.Initial("nope"), "Old.", Now), ProblemKind.NotFound);
    }

    // ---- withdraw ----

    [Fact]
    public void Withdrawing_is_possible_from_draft_published_and_deprecated()
    {
        foreach (var s in new[] { Draft(), Released(), Published(), Deprecated() })
        {
            var withdrawn = Apply(s, CatalogueDecisions.Withdraw(s, "Retracted by the authors.", Now));
            withdrawn.Status.Should().Be(ResourceStatus.Withdrawn);
            withdrawn.StatusReason.Should().Be("Retracted by the authors.");
            withdrawn.Version.Should().Be(s.Version + 1);
        }
    }

    [Fact]
    public void Withdrawing_twice_is_a_conflict()
    {
        var problem = Refused(CatalogueDecisions.Withdraw(Withdrawn(), "Again.", Now), ProblemKind.Conflict);
        problem.CurrentVersion.Should().Be(Withdrawn().Version);
    }

    [Fact]
    public void Withdrawing_a_missing_resource_is_not_found()
    {
        Refused(CatalogueDecisions.Withdraw(ResourceState.Initial("nope"), "Reason.", Now), ProblemKind.NotFound);
    }

    // ---- reasons ----

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  \t ")]
    public void Deprecating_and_withdrawing_need_a_reason(string? reason)
    {
        Refused(CatalogueDecisions.Deprecate(Published(), reason, Now), ProblemKind.Validation).Errors.Should().ContainKey("reason");
        Refused(CatalogueDecisions.Withdraw(Published(), reason, Now), ProblemKind.Validation).Errors.Should().ContainKey("reason");
    }

    [Fact]
    public void Reasons_have_a_length_cap()
    {
        var tooLong = new string('r', 2001);
        Refused(CatalogueDecisions.Deprecate(Published(), tooLong, Now), ProblemKind.Validation).Errors.Should().ContainKey("reason");
        Refused(CatalogueDecisions.Withdraw(Published(), tooLong, Now), ProblemKind.Validation).Errors.Should().ContainKey("reason");
        CatalogueDecisions.Withdraw(Published(), new string('r', 2000), Now).Problem.Should().BeNull();
    }

    [Fact]
    public void A_withdrawn_resource_cannot_change_any_more()
    {
        var s = Withdrawn();
        Refused(CatalogueDecisions.Revise(s, Metadata("x"), Now), ProblemKind.Conflict);
        Refused(CatalogueDecisions.Release(s, Release("9.0.0"), null, Now), ProblemKind.Conflict);
        Refused(CatalogueDecisions.Publish(s, Now), ProblemKind.Conflict);
        Refused(CatalogueDecisions.Deprecate(s, "Reason.", Now), ProblemKind.Conflict);
        Refused(CatalogueDecisions.Withdraw(s, "Reason.", Now), ProblemKind.Conflict);
    }
}
