using DthGrains.Contracts.Platform;
using DthGrains.Contracts.Runs;
using DthGrains.Domain.Runs;
using DthGrains.Grains.Platform;
using DthGrains.Grains.Provenance;
using DthGrains.Grains.Runs;
using DthGrains.Integration.Tests.Provenance;
using Marten;
using Microsoft.Extensions.DependencyInjection;

namespace DthGrains.Integration.Tests.Runs;

/// <summary>The run read model remembers an unfinished run's document between appends, and must never be misled by it.</summary>
public sealed class RunProjectionTests
{
    [Fact]
    public async Task A_run_whose_stream_another_silo_extended_meanwhile_is_read_again_not_taken_from_memory()
    {
        await using var silo = await LedgerStore.CreateAsync(AddRunProjection);
        await using var other = OtherSilo(silo);
        var (id, stream, submitted) = SubmittedRun();
        ShardCompleted Shard(int i) => ShardOf(id, i);

        await silo.Log.AppendAsync(stream, 0, submitted.Events, LedgerStore.Context);
        await silo.Log.AppendAsync(stream, 2, [Shard(0)], LedgerStore.Context);
        await other.GetRequiredService<EventLog>().AppendAsync(stream, 3, [Shard(1)], LedgerStore.Context);
        await silo.Log.AppendAsync(stream, 4, [Shard(2)], LedgerStore.Context);

        await using var session = silo.Get<IDocumentStore>().QuerySession();
        var doc = await session.LoadAsync<RunDocument>(id);
        doc!.ShardsCompleted.Should().Equal([0, 1, 2], "the shard recorded through the other silo is not lost");
        doc.SubjectsDone.Should().Be(30);
        doc.Version.Should().Be(5);
        doc.Status.Should().Be(RunStatus.Running);
    }

    /// <summary>A second silo: its own event log and projection (and memory) over the same database.</summary>
    private static ServiceProvider OtherSilo(LedgerStore silo) => new ServiceCollection().AddLogging()
        .AddDthEventStore(silo.ConnectionString)
        .AddDthLedgerCore(o => o.KeyPath = silo.KeyPath)
        .AddSingleton<IInlineProjection, RunProjection>()
        .BuildServiceProvider();

    /// <summary>A 40-subject run's submission (4 shards of 10).</summary>
    private static (string Id, string Stream, Domain.Platform.Decision Submitted) SubmittedRun()
    {
        var id = Guid.NewGuid().ToString("D");
        var plan = RunPlanner.Plan(new RunRequest(RunKind.CohortTrial, "hovorka", Size: 40, Seed: 1, Duration: 60, ShardSize: 10)).Plan!;
        return (id, RunEventTypes.StreamOf(id), RunDecisions.Submit(RunState.Initial(id), plan, new Actor("rita", "Rita", "tum", [Roles.Researcher]), [], [], DateTimeOffset.UtcNow));
    }

    private static ShardCompleted ShardOf(string id, int i) => new(id, i, i * 10, i * 10 + 10, null, null, null, "silo", 1, DateTimeOffset.UtcNow);

    /// <summary>The projection as the silo registers it: staged in the append's transaction, remembered once it committed.</summary>
    private static void AddRunProjection(IServiceCollection services) => services.AddSingleton<RunProjection>()
        .AddSingleton<IInlineProjection>(sp => sp.GetRequiredService<RunProjection>())
        .AddSingleton<IAppendObserver>(sp => sp.GetRequiredService<RunProjection>());

    /// <summary>
    /// Two writers on one run (two activations while a silo changes): this silo's append loses the version to the other's,
    /// and its next append must build on what was committed, not on the document its rejected write staged.
    /// </summary>
    [Fact]
    public async Task A_write_that_lost_its_version_to_another_writer_is_not_the_base_of_the_next_document()
    {
        await using var silo = await LedgerStore.CreateAsync(AddRunProjection);
        await using var other = OtherSilo(silo);
        var (id, stream, submitted) = SubmittedRun();
        ShardCompleted Shard(int i) => ShardOf(id, i);

        await silo.Log.AppendAsync(stream, 0, submitted.Events, LedgerStore.Context);
        await other.GetRequiredService<EventLog>().AppendAsync(stream, 2, [Shard(1)], LedgerStore.Context);
        var lost = () => silo.Log.AppendAsync(stream, 2, [Shard(0)], LedgerStore.Context);
        await lost.Should().ThrowAsync<StreamConflictException>();
        await silo.Log.AppendAsync(stream, 3, [Shard(2)], LedgerStore.Context);

        await using var session = silo.Get<IDocumentStore>().QuerySession();
        var doc = await session.LoadAsync<RunDocument>(id);
        doc!.ShardsCompleted.Should().Equal([1, 2], "shard 0 was never recorded");
        doc.SubjectsDone.Should().Be(20);
        doc.Version.Should().Be(4);
    }

    [Fact]
    public async Task Followers_catching_up_read_the_events_without_their_results_and_see_exactly_what_live_followers_see()
    {
        await using var ledger = await LedgerStore.CreateAsync();
        var id = Guid.NewGuid().ToString("D");
        var stream = RunEventTypes.StreamOf(id);
        var plan = RunPlanner.Plan(new RunRequest(RunKind.CohortTrial, "hovorka", Size: 20, Seed: 1, Duration: 60, ShardSize: 10)).Plan!;
        var submitted = RunDecisions.Submit(RunState.Initial(id), plan, new Actor("rita", "Rita", "tum", [Roles.Researcher]), [], [], DateTimeOffset.UtcNow);
        var shards = Enumerable.Range(0, 2).Select(i =>
        {
            var output = RunPlanner.ExecuteShard(plan, i);
            var (from, to) = plan.ShardRange(i);
            return new ShardCompleted(id, i, from, to, output.Statistics, null, null, "silo", 1, DateTimeOffset.UtcNow, output.Rows);
        }).ToList();
        var state = submitted.Events.Aggregate(RunState.Initial(id), RunState.Evolve);
        var finished = RunDecisions.CompleteShards(state, shards, plan, new ShardStatisticsFold(plan.Times.Length * plan.Outputs.Length));
        List<object> all = [.. submitted.Events, .. finished.Events];
        all.OfType<RunCompleted>().Single().Summary.Should().NotBeNull();
        await ledger.Log.AppendAsync(stream, 0, all, LedgerStore.Context);

        var light = await ledger.Log.ReadWithoutAsync(stream, RunEventJson.ResultFields);

        light.Select(e => e.Data.GetType()).Should().Equal(all.Select(e => e.GetType()));
        light.Select(e => e.Data).OfType<ShardCompleted>().Should().AllSatisfy(s => { s.Statistics.Should().BeNull(); s.Rows.Should().BeNull(); });
        light.Select(e => e.Data).OfType<RunCompleted>().Single().Summary.Should().BeNull();
        string Described(IEnumerable<object> events)
        {
            var (s, v) = (RunState.Initial(id), 0L);
            return string.Join("\n", events.Select(e => RunEventJson.Describe(id, ++v, e, s = RunState.Evolve(s, e)).Json));
        }
        Described(light.Select(e => e.Data)).Should().Be(Described(all), "a follower that catches up sees what a live follower saw");
    }
}
