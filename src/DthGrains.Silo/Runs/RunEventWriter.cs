using System.Text;
using System.Text.Json;
using DthGrains.Contracts.Runs;
using DthGrains.Domain.Runs;
using DthGrains.Grains.Platform;
using DthGrains.Grains.Runs;

namespace DthGrains.Silo.Runs;

/// <summary>
/// Writes one follower's Server-Sent Events: first the durable events after Last-Event-ID from the stream, then live
/// ones, with the stream version as <c>id:</c>; a gap (the run moved silos, a notification was lost) is filled from the
/// stream, a repeat is skipped, so a client resuming with Last-Event-ID sees every event once. Progress events carry
/// no id (a resume is never confused by them) and are coalesced to one per <see cref="RunStreamOptions.ProgressInterval"/>.
/// The stream ends after the run's terminal event, and once caught up with a run that had ended already (a client
/// resuming after the end, or a run whose rows were released after it ended), rather than waiting for events that will
/// not come.
/// </summary>
public sealed class RunEventWriter(
    Stream body,
    RunFollower follower,
    Func<long, CancellationToken, Task<RunStreamCatchUp>> readAfter,
    Func<Task<long>> resubscribe,
    RunStreamOptions options,
    TimeProvider clock)
{
    private static readonly byte[] Heartbeat = ": keep-alive\n\n"u8.ToArray();

    private long _last;
    private DateTimeOffset _lastProgress = DateTimeOffset.MinValue;

    public long LastEventId => _last;

    public int ProgressWritten { get; private set; }

    public async Task RunAsync(long lastEventId, CancellationToken ct)
    {
        _last = lastEventId;
        if (await CatchUpAsync(ct)) return;
        var nextResubscribe = clock.GetUtcNow() + options.Resubscribe;
        var nextHeartbeat = clock.GetUtcNow() + options.Heartbeat;
        while (!ct.IsCancellationRequested && !follower.Overflowed)
        {
            while (follower.TryReadEvent(out var e))
            {
                if (e.Version <= _last) continue;
                if (e.Version > _last + 1)
                {
                    if (await CatchUpAsync(ct)) return;
                    if (e.Version <= _last) continue;
                }
                if (await WriteEventAsync(e, ct)) return;
            }
            var now = clock.GetUtcNow();
            if (follower.PeekProgress() is not null && now - _lastProgress >= options.ProgressInterval && follower.TakeProgress() is { } progress)
            {
                await WriteAsync(Encoding.UTF8.GetBytes($"event: progress\ndata: {JsonSerializer.Serialize(progress, Platform.JsonDefaults.Options)}\n\n"), ct);
                _lastProgress = now;
                ProgressWritten++;
                nextHeartbeat = now + options.Heartbeat;
            }
            if (now >= nextResubscribe)
            {
                if (await resubscribe() > _last && await CatchUpAsync(ct)) return;
                nextResubscribe = now + options.Resubscribe;
            }
            if (now >= nextHeartbeat)
            {
                await WriteAsync(Heartbeat, ct);
                nextHeartbeat = now + options.Heartbeat;
            }
            var wait = Min(nextResubscribe - now, nextHeartbeat - now);
            if (follower.PeekProgress() is not null) wait = Min(wait, _lastProgress + options.ProgressInterval - now);
            await follower.WaitAsync(wait < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : wait, ct);
        }
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    /// <summary>Writes the stored events after the last one sent; true when the run ended.</summary>
    private async Task<bool> CatchUpAsync(CancellationToken ct)
    {
        var (events, ended) = await readAfter(_last, ct);
        foreach (var e in events)
        {
            if (e.Version != _last + 1) continue;
            ended |= await WriteEventAsync(e, ct);
        }
        return ended;
    }

    private async Task<bool> WriteEventAsync(RunStreamEvent e, CancellationToken ct)
    {
        await WriteAsync(Encoding.UTF8.GetBytes($"id: {e.Version}\nevent: {e.Type}\ndata: {e.Json}\n\n"), ct);
        _last = e.Version;
        return RunEventJson.IsTerminal(e.Type);
    }

    private async Task WriteAsync(byte[] bytes, CancellationToken ct)
    {
        await body.WriteAsync(bytes, ct);
        await body.FlushAsync(ct);
    }

    /// <summary>
    /// The run's stored events after <paramref name="after"/>, described as followers see them (folding from the start for
    /// the counts). Read without the results they carry (shard statistics and rows, summary, indices), which followers are
    /// not sent: a follower of a 100,000-patient run that connects or catches up would otherwise fetch some 20 MB.
    /// </summary>
    public static async Task<RunStreamCatchUp> ReadAfterAsync(EventLog log, string runId, long after, CancellationToken ct)
    {
        var events = await log.ReadWithoutAsync(RunEventTypes.StreamOf(runId), RunEventJson.ResultFields, ct);
        var state = RunState.Initial(runId);
        var described = new List<RunStreamEvent>();
        foreach (var (version, data) in events)
        {
            state = RunState.Evolve(state, data);
            if (version > after) described.Add(RunEventJson.Describe(runId, version, data, state));
        }
        return new RunStreamCatchUp(described, state.IsTerminal);
    }
}

/// <param name="Events">the stored events after the follower's last one, as followers see them.</param>
/// <param name="Ended">the run had ended when they were read.</param>
public sealed record RunStreamCatchUp(IReadOnlyList<RunStreamEvent> Events, bool Ended);
