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
        await using var silo = await LedgerStore.CreateAsync(s => s.AddSingleton<IInlineProjection, RunProjection>());
        // A second silo: its own event log and projection (and memory) over the same database.
        await using var other = new ServiceCollection().AddLogging()
            .AddDthEventStore(silo.ConnectionString)
            .AddDthLedgerCore(o => o.KeyPath = silo.KeyPath)
            .AddSingleton<IInlineProjection, RunProjection>()
            .BuildServiceProvider();
        var id = Guid.NewGuid().ToString("D");
        var stream = RunEventTypes.StreamOf(id);
        var plan = RunPlanner.Plan(new RunRequest(RunKind.CohortTrial, "hovorka", Size: 40, Seed: 1, Duration: 60, ShardSize: 10)).Plan!;
        var submitted = RunDecisions.Submit(RunState.Initial(id), plan, new Actor("rita", "Rita", "tum", [Roles.Researcher]), [], [], DateTimeOffset.UtcNow);
        ShardCompleted Shard(int i) => new(id, i, i * 10, i * 10 + 10, null, null, null, "silo", 1, DateTimeOffset.UtcNow);

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
}
