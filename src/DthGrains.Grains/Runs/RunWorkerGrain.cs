using System.Diagnostics;
using System.Text.Json;
using DthGrains.Contracts.Runs;
using DthGrains.Domain.Runs;
using Microsoft.Extensions.Logging;
using Orleans.Runtime.MembershipService.SiloMetadata;

namespace DthGrains.Grains.Runs;

/// <summary>
/// Solves one shard of one run, off the grain turn and within the silo's worker slots, then reports to the run. Placed
/// on hpc silos first. Asking it again to run its shard is harmless: it starts only once per activation, and re-reports
/// a result the run did not acknowledge. If its silo dies, the next ask activates it afresh on a live silo.
/// </summary>
[HpcPreferred]
[ExternalModelHosts]
public sealed class RunWorkerGrain(RunWorkerSlots slots, IShardGate gate, ILocalSiloDetails silo, ISiloMetadataCache metadata, ILogger<RunWorkerGrain> logger)
    : Grain, IRunWorkerGrain
{
    private static readonly TimeSpan ProgressEvery = TimeSpan.FromMilliseconds(100);

    private Task? _work;
    private CancellationTokenSource? _cancel;
    private ShardResult? _unreported;
    private string? _requestHash;

    public Task<bool> EnsureRunningAsync(ShardWork work)
    {
        // Work of another request under the same run id: a submission refused after its first shards started (its run
        // id taken meanwhile by another request, seen by a stale activation) left this worker on its shard. The run's
        // present request wins; what the other one computed is never reported.
        if (_work is not null && work.RequestHash is { } wanted && _requestHash is { } held && wanted != held)
        {
            logger.LogInformation("Run {RunId}: shard {Shard} was being solved for request {Held}; it is now asked for request {Wanted}, and starts again",
                work.RunId, work.Shard, held, wanted);
            _ = CancelAsync();
        }
        if (_work is not null)
        {
            if (_work.IsCompleted && _unreported is not null) _work = ReportAsync(work.RunId);
            return Task.FromResult(false);
        }
        _cancel = new CancellationTokenSource();
        _requestHash = work.RequestHash;
        _work = RunAsync(work, _cancel.Token);
        return Task.FromResult(true);
    }

    /// <summary>Stops the shard; a later ask (after a resumption) starts it again.</summary>
    public Task CancelAsync()
    {
        _cancel?.Cancel();
        _cancel = null;
        _work = null;
        _unreported = null;
        return Task.CompletedTask;
    }

    /// <summary>
    /// The silo is stopping (or shedding activations): the shard stops too, instead of solving on, unseen, until the
    /// process exits. An external code's processes are killed with it rather than left running past their silo. Nothing
    /// is lost: the run's supervision asks again, and the shard starts afresh on a live silo. While the shard runs, that
    /// supervision's asks keep this activation from being collected as idle.
    /// </summary>
    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _cancel?.Cancel();
        return Task.CompletedTask;
    }

    private async Task RunAsync(ShardWork work, CancellationToken ct)
    {
        var run = GrainFactory.GetGrain<IRunGrain>(work.RunId);
        using var span = RunTracing.StartShard(work.RunId, work.Shard, work.To - work.From, silo.SiloAddress.ToParsableString());
        try
        {
            await gate.WaitAsync(work, ct);
            var waiting = Stopwatch.GetTimestamp();
            using (await slots.EnterAsync(work.Owner ?? work.RunId, ct))
            {
                RunMetrics.SlotWait.Record(Stopwatch.GetElapsedTime(waiting).TotalSeconds);
                span?.AddEvent(new ActivityEvent("worker slot taken"));
                var clock = Stopwatch.StartNew();
                var done = new StrongBox<long>();
                // The numerics run on a thread of their own, never on this grain's turn nor on a thread-pool thread: a
                // shard holding a pool thread for its whole solve starves the silo's messaging, the event log and HTTP
                // (on a 2-core silo two shards took both pool threads), while the OS shares the cores fairly between
                // dedicated threads and the pool. Only the counter is shared.
                var job = Task.Factory.StartNew(() => Solve(work, done, ct), ct, TaskCreationOptions.LongRunning, TaskScheduler.Default);
                await ShardProgress.ReportWhileSolvingAsync(job, () => run.ReportProgressAsync(work.Shard, Interlocked.Read(ref done.Value)), ProgressEvery, ct);
                var (payload, statistics, rows) = await job;
                RunMetrics.Subjects.Add(work.To - work.From);
                ct.ThrowIfCancellationRequested();
                _unreported = Attributed(new ShardResult(work.RunId, work.Shard, payload, silo.SiloAddress.ToParsableString(), clock.Elapsed.TotalMilliseconds,
                    Statistics: statistics, Rows: rows) { RequestHash = work.RequestHash });
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            span?.SetTag("dth.run.shard.stopped", true);
            return;
        }
        catch (Exception ex)
        {
            span?.SetStatus(ActivityStatusCode.Error, ex.Message);
            logger.LogError(ex, "Run {RunId}: shard {Shard} failed", work.RunId, work.Shard);
            if (ct.IsCancellationRequested) return;
            _unreported = new ShardResult(work.RunId, work.Shard, null, silo.SiloAddress.ToParsableString(), 0, ex.Message) { RequestHash = work.RequestHash };
        }
        await ReportAsync(work.RunId);
    }

    /// <summary>The result with this silo's role and institutions (its metadata), so the run records whose hardware computed it.</summary>
    private ShardResult Attributed(ShardResult result)
    {
        var data = metadata.GetSiloMetadata(silo.SiloAddress).Metadata;
        return result with
        {
            SiloRole = data.TryGetValue(HpcPreferenceDirector.RoleKey, out var role) && role.Length > 0 ? role : null,
            SiloInstitutions = Federation.InstitutionResidencyDirector.InstitutionsOf(data) is { Length: > 0 } institutions ? institutions : null,
        };
    }

    /// <summary>Solves the shard: its output as JSON without its binary parts, and those parts (see <see cref="ShardResult"/>).</summary>
    private static (byte[] Payload, byte[]? Statistics, byte[]? Rows) Solve(ShardWork work, StrongBox<long> done, CancellationToken ct)
    {
        var (plan, problem) = RunPlanner.Plan(work.Request);
        if (plan is null)
            throw new InvalidOperationException("The run's request does not plan on this silo (a model or version it does not know?): " +
                string.Join(" ", problem?.Errors?.SelectMany(e => e.Value) ?? [problem?.Detail ?? ""]));
        var output = RunPlanner.ExecuteShard(plan, work.Shard, 1, n => Interlocked.Exchange(ref done.Value, n), ct);
        var light = output with { Statistics = output.Statistics is { } s ? s with { Data = [] } : null, Rows = output.Rows is { } r ? r with { Data = [] } : null };
        return (JsonSerializer.SerializeToUtf8Bytes(light, RunGrain.PayloadJson), output.Statistics?.Data, output.Rows?.Data);
    }

    private async Task ReportAsync(string runId)
    {
        // Never call the run from within the turn that received its ask: Orleans 10.4.2 holds an activation's lock while
        // it starts a request's turn, and delivering a call to a grain on the same silo takes that grain's lock. A run
        // asking this worker (holding the run's lock) while this worker, in the ask's first synchronous steps, reported
        // to the run (holding this worker's lock) deadlocked both for good: seen in a memory dump of a hung test, where
        // a shard failed before its first wait (its silo's worker slots already disposed) and reported at once. A yield
        // moves the report to a later work item of this activation, which holds no lock.
        await Task.Yield();
        if (_unreported is not { } result) return;
        try
        {
            await GrainFactory.GetGrain<IRunGrain>(runId).ReportShardAsync(result);
            _unreported = null;
            DeactivateOnIdle();
        }
        catch (Exception ex)
        {
            // The run's silo may be gone: it comes back on a live silo and asks again, and the result is reported then.
            logger.LogInformation(ex, "Run {RunId}: shard {Shard} result not acknowledged yet", runId, result.Shard);
        }
    }

    private sealed class StrongBox<T>
    {
        public T Value = default!;
    }
}
