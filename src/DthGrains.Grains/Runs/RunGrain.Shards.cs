using System.Text.Json;
using DthGrains.Contracts.Runs;
using DthGrains.Domain.Runs;
using DthGrains.Simulation.Cohorts;
using Microsoft.Extensions.Logging;

namespace DthGrains.Grains.Runs;

/// <summary>
/// Shard results: queued as they come, recorded in one append per turn, each shard counted once, and decoded into the
/// run's statistics and the partial bands its followers see.
/// </summary>
public sealed partial class RunGrain
{
    public Task ReportShardAsync(ShardResult result)
    {
        // Interleaved with any turn, so it only queues (no await, no state change); the queue is recorded in a turn of
        // its own, which Orleans queues behind the one in flight: every result that came meanwhile goes into one append.
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _reports.Add((result, done));
        if (_flush is null) ScheduleFlush();
        return done.Task;
    }

    private async Task FlushShardsAsync(CancellationToken cancellation)
    {
        _flush?.Dispose();
        _flush = null;
        if (_reports.Count == 0) return;
        var batch = _reports.ToArray();
        _reports.Clear();
        try
        {
            await RecordShardsAsync(batch.Select(b => b.Result).ToList());
            foreach (var b in batch) b.Done.TrySetResult();
        }
        catch (Exception ex)
        {
            // Not acknowledged: the workers keep their results, and the supervisor asks them again.
            logger.LogWarning(ex, "Run {RunId}: {Count} shard results not recorded", Id, batch.Length);
            foreach (var b in batch) b.Done.TrySetException(ex);
        }
    }

    /// <summary>
    /// A turn of its own for <see cref="FlushShardsAsync"/>, queued behind the one in flight as a message would be (a grain
    /// timer does not interleave), but local to the activation. It used to be a call of the run to itself, which goes
    /// through messaging and the grain directory: while a silo holding the run's directory entry stopped, that call was
    /// forwarded and waited for the response timeout (30 s) with the queued results unacknowledged. Should the activation
    /// go first, its timers go with it, and <see cref="OnDeactivateAsync"/> fails what was queued.
    /// </summary>
    private void ScheduleFlush() => _flush = this.RegisterGrainTimer(FlushShardsAsync, TimeSpan.Zero, Timeout.InfiniteTimeSpan);

    private void FailQueuedReports(Exception ex)
    {
        var queued = _reports.ToArray();
        _reports.Clear();
        foreach (var q in queued) q.Done.TrySetException(ex);
    }

    /// <summary>
    /// Records shard results in one append: one shard boundary for the batch (one policy check), each shard counted once by
    /// index (<see cref="RunDecisions.CompleteShards"/>), nothing after the run ended.
    /// </summary>
    private async Task RecordShardsAsync(IReadOnlyList<ShardResult> results)
    {
        // A result of another request under this run id (a submission refused after its first shards started, its id
        // taken meanwhile by this run) is not this run's: acknowledged, so its worker stops reporting it, and not counted.
        // Results without a hash come from silos older than the hash and are taken as before.
        if (State.Exists && results.Where(r => r.RequestHash is { } h && h != State.RequestHash).ToList() is { Count: > 0 } foreign)
        {
            logger.LogWarning("Run {RunId}: results of shards {Shards} were computed for another request ({Hash}), not this run's; not counted",
                Id, string.Join(',', foreign.Select(r => r.Shard)), foreign[0].RequestHash);
            results = results.Except(foreign).ToList();
        }
        foreach (var r in results)
        {
            _dispatched.Remove(r.Shard);
            _asks.Remove(r.Shard);
            _inShard.Remove(r.Shard);
        }
        if (!State.Exists || State.IsTerminal) return;
        var fresh = results.Where(r => !State.Shards.ContainsKey(r.Shard)).DistinctBy(r => r.Shard).ToList();
        if (fresh.Count == 0) return;
        var context = SystemContext();
        if (fresh.FirstOrDefault(r => r.Error is not null || r.Payload is null) is { } failed)
        {
            await AppendAsync(context, s => RunDecisions.Fail(s, $"Shard {failed.Shard} failed on {failed.Silo}: {failed.Error}", Clock.GetUtcNow()));
            Stop();
            return;
        }
        // A shard boundary: results that arrive after the grant stopped permitting the run are not counted, and no
        // further shard starts; the run is suspended with the reason until a grant permits it again.
        if (State.Status == RunStatus.Running && !await StillPermittedAsync()) return;
        var now = Clock.GetUtcNow();
        var shards = fresh.Select(r =>
        {
            var output = JsonSerializer.Deserialize<ShardOutput>(r.Payload!, PayloadJson)!;
            // The binary parts travel beside the JSON (ShardResult); put them back.
            var statistics = output.Statistics is { } s && r.Statistics is { } sb ? s with { Data = sb } : output.Statistics;
            var rows = output.Rows is { } w && r.Rows is { } rb ? w with { Data = rb } : output.Rows;
            return (output with { Statistics = statistics, Rows = rows }).ToShard(Id, r.Shard, Plan.ShardRange(r.Shard), r.Silo, r.ElapsedMs, now)
                with { SiloRole = r.SiloRole, SiloInstitutions = r.SiloInstitutions };
        }).ToList();
        var (_, problem) = await AppendAsync(context, s => RunDecisions.CompleteShards(s, shards, Plan, Statistics));
        if (problem is not null)
        {
            logger.LogWarning("Run {RunId}: shards {Shards} refused: {Detail}", Id, string.Join(',', shards.Select(x => x.Shard)), problem.Detail);
            return;
        }
        if (State.IsTerminal)
        {
            Stop();
            return;
        }
        Dispatch();
    }

    public Task ReportProgressAsync(int shard, long subjectsDone)
    {
        if (State.IsTerminal || !_dispatched.Contains(shard)) return Task.CompletedTask;
        _inShard[shard] = subjectsDone;
        var now = DateTime.UtcNow;
        // Followers coalesce on their side too; this only spares the fan-out when many workers report at once.
        if (now - _lastProgress >= TimeSpan.FromMilliseconds(50)) PublishProgress();
        return Task.CompletedTask;
    }

    private ShardStatisticsFold Statistics => _statistics
        ?? throw new InvalidOperationException($"Run {Id} has no submission: nothing to merge.");

    protected override void Replaying()
    {
        _replays++;
        _statistics = null;
        _partial = null;
        _inPartial.Clear();
    }

    /// <summary>
    /// Each recorded shard's statistics, decoded once: into the run's results, merged in shard order
    /// (<see cref="ShardStatisticsFold"/>), and into the coarse partial bands that followers see, merged in whatever
    /// order the shards came (the histograms merge exactly in any order, so the bands do not depend on it).
    /// </summary>
    protected override void Recorded(object @event)
    {
        switch (@event)
        {
            case RunSubmitted submitted:
                _cells = submitted.Times.Length * submitted.Outputs.Length;
                _statistics = new ShardStatisticsFold(_cells);
                break;
            case ShardCompleted { Statistics: { } statistics } shard when _statistics is not null:
                ShardPartial? decoded = null;
                // Each shard index once (the fold ignores repeats itself).
                if (statistics.Format == ShardStatistics.CurrentFormat && _inPartial.Add(shard.Shard))
                {
                    try
                    {
                        decoded = statistics.ToPartial(_cells);
                        _partial ??= new ShardAccumulator(_cells, decoded.RelativeAccuracy);
                        _partial.Merge(decoded);
                    }
                    catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or FormatException or IndexOutOfRangeException)
                    {
                        decoded = null;
                        logger.LogDebug(ex, "Run {RunId}: shard {Shard} statistics not in the partial bands", Id, shard.Shard);
                    }
                }
                _statistics.Record(shard, decoded);
                break;
            case ShardCompleted shard when _statistics is not null:
                _statistics.Record(shard);
                break;
        }
    }

    /// <summary>Coarse partial bands (p5, p50, p95 of each output at the last time point) over the shards recorded so far.</summary>
    private RunProgressBand[]? PartialBands()
    {
        var sub = State.Submitted!;
        int times = sub.Times.Length;
        if (times == 0 || _partial is null) return null;
        var bands = new RunProgressBand[sub.Outputs.Length];
        for (int y = 0; y < bands.Length; y++)
        {
            int cell = y * times + times - 1;
            bands[y] = new RunProgressBand(sub.Outputs[y], sub.Times[^1], _partial.CountOf(cell),
                Finite(_partial.Quantile(cell, 0.05)), Finite(_partial.Quantile(cell, 0.5)), Finite(_partial.Quantile(cell, 0.95)));
        }
        return bands;

        static double? Finite(double v) => double.IsFinite(v) ? v : null;
    }
}
