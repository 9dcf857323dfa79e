using DthGrains.Contracts.Ecosystem;
using DthGrains.Contracts.Platform;
using DthGrains.Domain.Ecosystem;
using DthGrains.Grains.Platform;
using DthGrains.Integration.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace DthGrains.Integration.Tests.Ecosystem;

/// <summary>The stream, not grain memory, is the truth: two writers at one version give exactly one winner (RELIABILITY.md row 4).</summary>
[Collection(PostgresCollection.Name)]
public sealed class EventStreamConcurrencyTests : IAsyncLifetime
{
    private InProcessTestCluster _cluster = null!;

    public async Task InitializeAsync() => (_cluster, _) = await PlatformCluster.StartAsync(("inst-a", "data"), ("inst-b", "data"));

    public async Task DisposeAsync()
    {
        await _cluster.StopAllSilosAsync();
        await _cluster.DisposeAsync();
    }

    private static readonly OrganisationDetails Details = new("Race Clinic", OrganisationType.Hospital, "DE");

    [Fact]
    public async Task Concurrent_appends_at_the_same_version_from_two_silos_give_exactly_one_winner()
    {
        var logs = _cluster.Silos.Select(s => s.ServiceProvider.GetRequiredService<EventLog>()).ToArray();
        var context = CommandContext.ForSystem();
        for (var round = 0; round < 20; round++)
        {
            var stream = $"organisation:race-{round}-{Guid.NewGuid():N}"[..40];
            await logs[0].AppendAsync(stream, 0, [new OrganisationRegistered("race", Details, DateTimeOffset.UtcNow)], context);

            var attempts = logs.Select(log => Attempt(log, stream, context)).ToArray();
            var results = await Task.WhenAll(attempts);

            results.Count(won => won).Should().Be(1, "exactly one of two writers at version 1 may win (round {0})", round);
            (await logs[1].ReadAsync(stream)).Should().HaveCount(2);
        }
    }

    private static async Task<bool> Attempt(EventLog log, string stream, CommandContext context)
    {
        try
        {
            await log.AppendAsync(stream, 1, [new OrganisationUpdated("race", Details with { Name = Guid.NewGuid().ToString() }, DateTimeOffset.UtcNow)], context);
            return true;
        }
        catch (StreamConflictException)
        {
            return false;
        }
    }

    [Fact]
    public async Task A_grain_whose_stream_moved_behind_its_back_answers_409_then_sees_the_new_state()
    {
        var id = $"behind-{Guid.NewGuid():N}"[..20];
        var grain = _cluster.Client.GetGrain<IOrganisationGrain>(id);
        var context = CommandContext.ForSystem();
        (await grain.RegisterAsync(Details, context)).IsSuccess.Should().BeTrue();

        // A second writer (as a second activation would) appends directly to the stream.
        var log = _cluster.Silos[0].ServiceProvider.GetRequiredService<EventLog>();
        await log.AppendAsync($"organisation:{id}", 1, [new OrganisationUpdated(id, Details with { Name = "Changed elsewhere" }, DateTimeOffset.UtcNow)], context);

        var stale = await grain.UpdateAsync(Details with { Name = "From the stale grain" }, context);
        stale.Problem!.Kind.Should().Be(ProblemKind.Conflict);
        stale.Problem.CurrentVersion.Should().Be(2);

        var now = await grain.GetAsync();
        now.Version.Should().Be(2);
        now.Value!.Name.Should().Be("Changed elsewhere");
        (await log.ReadAsync($"organisation:{id}")).Should().HaveCount(2);
    }

    [Fact]
    public async Task Replaying_the_stream_gives_the_live_grain_state()
    {
        var id = $"replay-{Guid.NewGuid():N}"[..20];
        var grain = _cluster.Client.GetGrain<IOrganisationGrain>(id);
        var context = CommandContext.ForSystem();
        await grain.RegisterAsync(Details, context);
        await _cluster.Client.GetGrain<IOrganisationGrain>("replay-target").RegisterAsync(Details, context);
        await grain.RelateAsync(RelationKind.PartnerOf, new NodeRef(NodeKind.Organisation, "replay-target"), context);
        await grain.UpdateAsync(Details with { Name = "Renamed" }, context);

        var live = (await grain.GetAsync()).Value!;
        var events = await _cluster.Silos[0].ServiceProvider.GetRequiredService<EventLog>().ReadAsync($"organisation:{id}");
        var replayed = events.Select(e => e.Data).Aggregate(NodeState.Initial(new NodeRef(NodeKind.Organisation, id)), NodeState.Evolve).ToView();

        replayed.Should().BeEquivalentTo(live);
    }
}
