using System.Text.Json;
using DthGrains.Contracts.Platform;
using DthGrains.Contracts.Runs;
using DthGrains.Domain.Runs;
using DthGrains.Grains.Platform;
using DthGrains.Grains.Runs;
using DthGrains.Integration.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace DthGrains.Integration.Tests.Runs;

/// <summary>
/// A run id can see the shards of two requests: a submission refused after its first shards started (its id taken
/// meanwhile by another request, which a stale activation learns only when its append conflicts) leaves workers, and
/// results, of its own. The run counts only what was computed for the request it recorded.
/// </summary>
public sealed class RunRequestIdentityTests
{
    private static readonly CommandContext Carla = new(new Actor("carla", "Carla", "tum", [Roles.Researcher]), "identity-test");
    private static readonly RunRequest Recorded = new(RunKind.CohortTrial, "hovorka", Size: 40, Seed: 2, Duration: 60, OutputStep: 10, ShardSize: 20);
    private static readonly RunRequest Refused = Recorded with { Seed = 1 };

    /// <summary>The result hash the run recorded when it completed.</summary>
    private static async Task<string> ResultHashAsync(IGrainFactory grains, EventLog log, string id)
    {
        await Eventually.Until(async () => (await grains.GetGrain<IRunGrain>(id).GetAsync(Carla.Actor)).Value, v => v?.Status == RunStatus.Completed,
            TimeSpan.FromSeconds(60), "the run to complete");
        return (await log.ReadAsync(RunEventTypes.StreamOf(id))).Select(e => e.Data).OfType<RunCompleted>().Single().ResultHash;
    }

    [Fact]
    public async Task Only_the_recorded_requests_shards_count_whatever_a_worker_or_a_report_of_another_request_brings()
    {
        var gate = new TestShardGate(_ => true);
        var (cluster, _) = await PlatformCluster.StartAsync((_, silo) =>
        {
            silo.Services.AddSingleton<IShardGate>(gate);
            silo.Services.Configure<RunOptions>(o => o.SupervisePeriod = TimeSpan.FromMilliseconds(200));
        }, ("inst-a", "hpc"));
        try
        {
            var grains = cluster.Silos[0].ServiceProvider.GetRequiredService<IGrainFactory>();
            var log = cluster.Silos[0].ServiceProvider.GetRequiredService<EventLog>();
            var expected = RunReproduction.Reproduce(Recorded).Run!.ResultHash;
            var refusedPlan = RunPlanner.Plan(Refused).Plan!;
            RunPlanner.Plan(Recorded).Plan!.RequestHash.Should().NotBe(refusedPlan.RequestHash);

            // 1. Shard 0's worker is busy with the refused request's work when the recorded request asks for it.
            var first = Guid.NewGuid().ToString("D");
            (await grains.GetGrain<IRunWorkerGrain>($"{first}/0").EnsureRunningAsync(
                new ShardWork(first, 0, 0, 20, refusedPlan.Request, "carla") { RequestHash = refusedPlan.RequestHash })).Should().BeTrue();
            await Eventually.Until(() => Task.FromResult(gate.Waiting), n => n == 1, TimeSpan.FromSeconds(30), "the refused request's shard at the gate");
            (await grains.GetGrain<IRunGrain>(first).SubmitAsync(Recorded, Carla)).Problem.Should().BeNull();
            await Eventually.Until(() => Task.FromResult((gate.Cancelled, gate.Waiting)), g => g == (1, 2), TimeSpan.FromSeconds(30),
                "the worker to drop the refused request's shard and hold the recorded one's");
            gate.Open();
            (await ResultHashAsync(grains, log, first)).Should().Be(expected, "shard 0 was solved for the recorded request");

            // 2. A result computed for the refused request reaches the run before its own.
            gate.Close(_ => true);
            var second = Guid.NewGuid().ToString("D");
            (await grains.GetGrain<IRunGrain>(second).SubmitAsync(Recorded, Carla)).Problem.Should().BeNull();
            var output = RunPlanner.ExecuteShard(refusedPlan, 0);
            var light = output with { Statistics = output.Statistics! with { Data = [] }, Rows = output.Rows is { } r ? r with { Data = [] } : null };
            await grains.GetGrain<IRunGrain>(second).ReportShardAsync(new ShardResult(second, 0,
                JsonSerializer.SerializeToUtf8Bytes(light, new JsonSerializerOptions(JsonSerializerDefaults.Web)), "elsewhere", 1,
                Statistics: output.Statistics!.Data, Rows: output.Rows?.Data) { RequestHash = refusedPlan.RequestHash });
            (await log.ReadAsync(RunEventTypes.StreamOf(second))).Select(e => e.Data).OfType<ShardCompleted>().Should().BeEmpty("the result is another request's");
            gate.Open();
            (await ResultHashAsync(grains, log, second)).Should().Be(expected);
        }
        finally
        {
            gate.Open();
            await cluster.StopAllSilosAsync();
            await cluster.DisposeAsync();
        }
    }
}
