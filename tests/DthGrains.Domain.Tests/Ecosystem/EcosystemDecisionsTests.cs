using DthGrains.Contracts.Ecosystem;
using DthGrains.Contracts.Platform;
using DthGrains.Domain.Ecosystem;
using DthGrains.Domain.Platform;

namespace DthGrains.Domain.Tests.Ecosystem;

public sealed class EcosystemDecisionsTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 10, 0, 0, TimeSpan.Zero);
    private static readonly NodeRef Charite = new(NodeKind.Organisation, "charite");
    private static readonly NodeRef Inria = new(NodeKind.Organisation, "inria");
    private static readonly NodeRef Alice = new(NodeKind.Person, "alice");
    private static readonly OrganisationDetails Hospital = new("Charité", OrganisationType.Hospital, "DE", "https://www.charite.de");

    private static NodeState Apply(NodeState s, Decision d)
    {
        d.Problem.Should().BeNull();
        return d.Events.Aggregate(s, NodeState.Evolve);
    }

    private static NodeState RegisteredCharite() => Apply(NodeState.Initial(Charite), EcosystemDecisions.Register(NodeState.Initial(Charite), Hospital, Now));

    [Fact]
    public void Registering_an_organisation_records_one_event_and_folds_into_its_state()
    {
        var decision = EcosystemDecisions.Register(NodeState.Initial(Charite), Hospital, Now);

        decision.Events.Should().ContainSingle().Which.Should().Be(new OrganisationRegistered("charite", Hospital, Now));
        var state = Apply(NodeState.Initial(Charite), decision);
        state.Exists.Should().BeTrue();
        state.Version.Should().Be(1);
        state.Organisation.Should().Be(Hospital);
        state.RegisteredAt.Should().Be(Now);
    }

    [Fact]
    public void Registering_twice_is_a_conflict_naming_the_current_version()
    {
        var decision = EcosystemDecisions.Register(RegisteredCharite(), Hospital, Now);

        decision.Events.Should().BeEmpty();
        decision.Problem!.Kind.Should().Be(ProblemKind.Conflict);
        decision.Problem.CurrentVersion.Should().Be(1);
    }

    [Fact]
    public void Every_invalid_field_gets_its_own_error()
    {
        var bad = new OrganisationDetails("", (OrganisationType)42, "germany", "ftp://example.org", new string('x', 4001));

        var problem = EcosystemDecisions.Register(NodeState.Initial(Charite), bad, Now).Problem!;

        problem.Kind.Should().Be(ProblemKind.Validation);
        problem.Errors!.Keys.Should().BeEquivalentTo("name", "type", "country", "website", "description");
    }

    [Fact]
    public void Control_characters_in_names_are_refused()
    {
        var problem = EcosystemDecisions.Register(NodeState.Initial(Charite), Hospital with { Name = "Chari\0té" }, Now).Problem!;
        problem.Errors!.Should().ContainKey("name");
    }

    [Fact]
    public void Updating_with_the_same_details_appends_nothing()
    {
        EcosystemDecisions.Update(RegisteredCharite(), Hospital, Now).Should().Be(Decision.Nothing);
    }

    [Fact]
    public void Updating_a_missing_node_is_not_found()
    {
        EcosystemDecisions.Update(NodeState.Initial(Charite), Hospital, Now).Problem!.Kind.Should().Be(ProblemKind.NotFound);
    }

    [Fact]
    public void A_person_needs_a_registered_affiliation()
    {
        var details = new PersonDetails("Alice", "charite", ["steward"]);

        EcosystemDecisions.Register(NodeState.Initial(Alice), details, affiliationExists: false, Now).Problem!.Errors!.Should().ContainKey("affiliation");
        EcosystemDecisions.Register(NodeState.Initial(Alice), details, affiliationExists: true, Now).Events.Should().ContainSingle();
    }

    [Fact]
    public void Unknown_person_roles_are_refused_with_the_known_ones_listed()
    {
        var problem = EcosystemDecisions.Register(NodeState.Initial(Alice), new PersonDetails("Alice", "charite", ["overlord"]), true, Now).Problem!;
        problem.Errors!["roles"].Single().Should().Contain("steward");
    }

    [Fact]
    public void No_relation_to_a_missing_entity()
    {
        var problem = EcosystemDecisions.Relate(RegisteredCharite(), RelationKind.PartnerOf, Inria, targetExists: false, Now).Problem!;
        problem.Errors!.Should().ContainKey("to");
    }

    [Fact]
    public void A_relation_is_added_once_and_a_repeat_is_an_idempotent_no_op()
    {
        var state = Apply(RegisteredCharite(), EcosystemDecisions.Relate(RegisteredCharite(), RelationKind.PartnerOf, Inria, true, Now));

        state.Relations.Should().ContainSingle(r => r.Kind == RelationKind.PartnerOf && r.To == Inria);
        EcosystemDecisions.Relate(state, RelationKind.PartnerOf, Inria, true, Now).Should().Be(Decision.Nothing);
    }

    [Theory]
    [InlineData(NodeKind.Organisation, RelationKind.MemberOf, NodeKind.Organisation)]
    [InlineData(NodeKind.Organisation, RelationKind.PartnerOf, NodeKind.Person)]
    [InlineData(NodeKind.Person, RelationKind.Funds, NodeKind.Initiative)]
    public void Relations_that_make_no_sense_are_refused(NodeKind from, RelationKind kind, NodeKind to)
    {
        var source = new NodeRef(from, "source");
        var state = NodeState.Initial(source) with { Exists = true };
        EcosystemDecisions.Relate(state, kind, new NodeRef(to, "target"), true, Now).Problem!.Errors!.Should().ContainKey("kind");
    }

    [Fact]
    public void Hosts_silo_edges_are_never_set_by_callers()
    {
        EcosystemDecisions.Relate(RegisteredCharite(), RelationKind.HostsSilo, Inria, true, Now).Problem!.Detail.Should().Contain("silos themselves");
    }

    [Fact]
    public void A_node_cannot_relate_to_itself()
    {
        EcosystemDecisions.Relate(RegisteredCharite(), RelationKind.PartnerOf, Charite, true, Now).Problem!.Errors!.Should().ContainKey("to");
    }

    [Fact]
    public void Removing_a_relation_that_does_not_exist_is_not_found_and_removing_one_that_does_removes_it()
    {
        EcosystemDecisions.Unrelate(RegisteredCharite(), RelationKind.PartnerOf, Inria, Now).Problem!.Kind.Should().Be(ProblemKind.NotFound);

        var related = Apply(RegisteredCharite(), EcosystemDecisions.Relate(RegisteredCharite(), RelationKind.PartnerOf, Inria, true, Now));
        var removed = Apply(related, EcosystemDecisions.Unrelate(related, RelationKind.PartnerOf, Inria, Now));
        removed.Relations.Should().BeEmpty();
        removed.Version.Should().Be(3);
    }

    [Fact]
    public void Replaying_the_events_gives_the_same_state_at_every_version()
    {
        var events = new object[]
        {
            new OrganisationRegistered("charite", Hospital, Now),
            new RelationAdded(Charite, RelationKind.PartnerOf, Inria, Now.AddMinutes(1)),
            new OrganisationUpdated("charite", Hospital with { Name = "Charité Berlin" }, Now.AddMinutes(2)),
            new RelationRemoved(Charite, RelationKind.PartnerOf, Inria, Now.AddMinutes(3)),
        };
        var live = NodeState.Initial(Charite);
        for (var v = 0; v < events.Length; v++)
        {
            live = NodeState.Evolve(live, events[v]);
            var replayed = events.Take(v + 1).Aggregate(NodeState.Initial(Charite), NodeState.Evolve);
            replayed.Should().BeEquivalentTo(live);
            replayed.Version.Should().Be(v + 1);
        }
        live.Name.Should().Be("Charité Berlin");
    }
}
