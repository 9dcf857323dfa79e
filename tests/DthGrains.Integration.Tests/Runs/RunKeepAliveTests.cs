using DthGrains.Contracts.Platform;
using DthGrains.Contracts.Runs;
using DthGrains.Grains.Runs;
using DthGrains.Integration.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace DthGrains.Integration.Tests.Runs;

/// <summary>
/// The keep-alive reminder brings an unfinished run back after its silo was lost. Its registration is a write to the
/// reminder table through the silo that keeps the run's share of the reminders, which can be slow or away (a frozen silo,
/// a locked table) while the event store, which accepts the run, is fine.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class RunKeepAliveTests
{
    private static readonly CommandContext Carla = new(new Actor("carla", "Carla", "tum", [Roles.Researcher]), "keep-alive-test");

    [Fact]
    public async Task A_run_is_accepted_while_its_reminder_cannot_be_written_gets_it_once_it_can_and_loses_it_when_it_ends()
    {
        var gate = new TestShardGate(_ => true);
        var (cluster, connectionString) = await PlatformCluster.StartAsync((_, silo) =>
        {
            silo.Services.AddSingleton<IShardGate>(gate);
            silo.Services.Configure<RunOptions>(o =>
            {
                o.KeepAliveWait = TimeSpan.FromMilliseconds(300);
                o.SupervisePeriod = TimeSpan.FromMilliseconds(200);
            });
        }, ("inst-a", "hpc"));
        try
        {
            var id = Guid.NewGuid().ToString("D");
            var run = cluster.Silos[0].ServiceProvider.GetRequiredService<IGrainFactory>().GetGrain<IRunGrain>(id);
            await using (var locker = new NpgsqlConnection(connectionString))
            {
                await locker.OpenAsync();
                await using var transaction = await locker.BeginTransactionAsync();
                await using (var lockTable = new NpgsqlCommand("lock table orleans_reminders in access exclusive mode", locker, transaction))
                    await lockTable.ExecuteNonQueryAsync();

                // Before, the answer waited for the registration, here until the lock went (never: it goes after the
                // answer) or the write failed, and then failed although the run was recorded and running.
                var submitted = await run.SubmitAsync(new RunRequest(RunKind.CohortTrial, "bergman", Size: 40, Seed: 3, Duration: 30, ShardSize: 5), Carla);
                submitted.Problem.Should().BeNull("the recorded submission accepts the run, not the reminder");
                submitted.Value!.Status.Should().Be(RunStatus.Running);
                (await RunTestData.KeepAlivesOfAsync(locker, id, transaction)).Should().Be(0, "the table is still locked");
                await Eventually.Until(() => Task.FromResult(gate.Waiting), n => n > 0, TimeSpan.FromSeconds(30), "its shards started meanwhile");
                await transaction.RollbackAsync();
            }

            await Eventually.Until(() => RunTestData.KeepAlivesOfAsync(connectionString, id), n => n == 1, TimeSpan.FromSeconds(60), "the reminder registered once the table is free");
            gate.Open();
            var done = await Eventually.Until(async () => (await run.GetAsync(Carla.Actor)).Value!, v => v.Status == RunStatus.Completed, TimeSpan.FromSeconds(60), "the run to complete");
            done.ShardsDone.Should().Be(8);
            await Eventually.Until(() => RunTestData.KeepAlivesOfAsync(connectionString, id), n => n == 0, TimeSpan.FromSeconds(30), "the reminder removed once the run ended");
        }
        finally
        {
            gate.Open();
            await cluster.StopAllSilosAsync();
            await cluster.DisposeAsync();
        }
    }
}
