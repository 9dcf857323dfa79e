using System.Text.Json;
using System.Text.Json.Serialization;
using DthGrains.Contracts.Catalogue;
using DthGrains.Domain.Catalogue;
using DthGrains.Domain.Platform;
using static DthGrains.Domain.Tests.Catalogue.Given;

namespace DthGrains.Domain.Tests.Catalogue;

/// <summary>A resource's history is its event stream: folding the stored events gives the state at every version.</summary>
public sealed class ResourceReplayTests
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    /// <summary>Stores an event the way a log does: as its type name and JSON, read back into a fresh object.</summary>
    private static object RoundTrip(object e) => JsonSerializer.Deserialize(JsonSerializer.Serialize(e, e.GetType(), Json), e.GetType(), Json)!;

    private static string Snapshot(object s) => JsonSerializer.Serialize(s, s.GetType(), Json);

    private static (List<object> Events, List<ResourceState> States) Run(ResourceState initial, params Func<ResourceState, Decision>[] steps)
    {
        var events = new List<object>();
        var states = new List<ResourceState> { initial };
        var live = initial;
        foreach (var step in steps)
        {
            var decision = step(live);
            decision.Problem.Should().BeNull();
            foreach (var e in decision.Events)
            {
                live = ResourceState.Evolve(live, e);
                events.Add(e);
                states.Add(live);
            }
        }
        return (events, states);
    }

    [Fact]
    public void Folding_the_stored_events_of_a_model_gives_the_live_state_at_every_version()
    {
        var record = new CredibilityRecord(new CredibilityHeader("Question?", "Context of use.", 1, 2),
            [new CredibilityAssessment(CredibilityFactor.ModelForm, 2, 2, ["https://example.org/validation"])]);
        var (events, states) = Run(ResourceState.Initial("hovorka-2004"),
            s => CatalogueDecisions.Draft(s, ResourceKind.Model, Metadata(), "charite", Now),
            s => CatalogueDecisions.Revise(s, Metadata("Hovorka 2004, revised"), Now.AddMinutes(1)),
            s => CatalogueDecisions.Release(s, Release("1.0.0-rc.1"), null, Now.AddMinutes(2)),
            s => CatalogueDecisions.Release(s, Release("1.0.0"), null, Now.AddMinutes(3)),
            s => CatalogueDecisions.Publish(s, Now.AddMinutes(4)),
            s => CatalogueDecisions.Publish(s, Now.AddMinutes(5)),
            s => CatalogueDecisions.RecordCredibility(s, "1.0.0", record, Now.AddMinutes(6)),
            s => CatalogueDecisions.Release(s, Release("1.1.0") with { ConformsTo = ["SBML", "SED-ML"] }, null, Now.AddMinutes(7)),
            s => CatalogueDecisions.Deprecate(s, "Superseded by hovorka-2010.", Now.AddMinutes(8)),
            s => CatalogueDecisions.Withdraw(s, "Parameter table was wrong.", Now.AddMinutes(9)));

        events.Should().HaveCount(9, "the second publish is a no-op");
        AssertReplayMatches(ResourceState.Initial("hovorka-2004"), events, states);
        states[^1].Status.Should().Be(ResourceStatus.Withdrawn);
        states[^1].LatestVersion.Should().Be("1.1.0");
        states[^1].FindVersion("1.0.0")!.Credibility!.Level.Should().Be(2);
    }

    [Fact]
    public void Folding_the_stored_events_of_a_dataset_gives_the_live_state_at_every_version()
    {
        var (events, states) = Run(ResourceState.Initial("charite-t1d-synthetic"),
            s => CatalogueDecisions.Draft(s, ResourceKind.Dataset, Metadata("Cohort") with { AccessRights = AccessRights.Restricted }, "charite", Now),
            s => CatalogueDecisions.Release(s, Release("1.0.0"), Facts(5), Now.AddMinutes(1)),
            s => CatalogueDecisions.Publish(s, Now.AddMinutes(2)),
            s => CatalogueDecisions.Release(s, Release("1.1.0"), Facts(8), Now.AddMinutes(3)));

        events.Should().HaveCount(4);
        AssertReplayMatches(ResourceState.Initial("charite-t1d-synthetic"), events, states);
        states[^1].Versions.Select(v => v.Dataset!.Subjects).Should().Equal(5, 8);
    }

    [Fact]
    public void Events_of_other_streams_only_advance_the_version()
    {
        var s = Draft();
        var after = ResourceState.Evolve(s, new DataAccessed("x", "charite", "1.0.0", "alice", "charite", null, null, 2, Now));
        Snapshot(after with { Version = s.Version }).Should().Be(Snapshot(s));
        after.Version.Should().Be(s.Version + 1);
    }

    private static void AssertReplayMatches(ResourceState initial, List<object> events, List<ResourceState> states)
    {
        var stored = events.Select(RoundTrip).ToList();
        for (var version = 0; version <= events.Count; version++)
        {
            var replayed = stored.Take(version).Aggregate(initial, ResourceState.Evolve);
            replayed.Version.Should().Be(version);
            Snapshot(replayed).Should().Be(Snapshot(states[version]), $"the fold of the first {version} events is the state at version {version}");
            if (version > 0) Snapshot(replayed.ToView()).Should().Be(Snapshot(states[version].ToView()));
        }
    }
}
