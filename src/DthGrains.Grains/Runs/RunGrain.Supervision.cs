using DthGrains.Contracts.Runs;
using DthGrains.Domain.Runs;
using Microsoft.Extensions.Logging;

namespace DthGrains.Grains.Runs;

/// <summary>
/// Handing out shards to workers without waiting on the run's turns, and the supervisor that asks the workers in flight
/// again, resumes a suspended run and fills free slots.
/// </summary>
public sealed partial class RunGrain
{
    /// <summary>A shard's work: its range and the normalised request (the one recorded in RunSubmitted), from which the worker re-plans.</summary>
    /// <param name="owner">the run's owner (the silos' worker slots take turns between researchers: RunWorkerSlots); the recorded one when not given.</param>
    private ShardWork WorkOf(RunPlan plan, int shard, string? owner = null)
    {
        var (from, to) = plan.ShardRange(shard);
        return new ShardWork(Id, shard, from, to, plan.Request, owner ?? State.Submitted?.Owner) { RequestHash = plan.RequestHash };
    }

    private IRunWorkerGrain Worker(int shard) => GrainFactory.GetGrain<IRunWorkerGrain>($"{Id}/{shard}");

    /// <summary>Hands out shards in index order while fewer than the limit are in flight.</summary>
    private void Dispatch()
    {
        if (State.Status != RunStatus.Running) return;
        var next = State.NextShards(_dispatched, options.Value.MaxShardsInFlight - _dispatched.Count,
            Math.Max(options.Value.MaxShardsAhead, options.Value.MaxShardsInFlight));
        foreach (var i in next)
        {
            _dispatched.Add(i);
            Ask(i, WorkOf(Plan, i));
        }
    }

    /// <summary>Hands out the first shards of a run whose submission is being recorded (see <see cref="SubmitAsync"/>).</summary>
    /// <param name="owner">who is submitting: the submission is not recorded yet.</param>
    private void StartShards(RunPlan plan, string owner)
    {
        for (var i = 0; i < Math.Min(plan.Shards, options.Value.MaxShardsInFlight); i++)
        {
            _dispatched.Add(i);
            Ask(i, WorkOf(plan, i, owner));
        }
    }

    /// <summary>
    /// The submission was not recorded: the shards started with it stop. The keep-alive reminder is not waited for (a
    /// reminder left behind finds no run when it fires and removes itself).
    /// </summary>
    private void StopStartedShards()
    {
        _plan = null;
        StopDispatched();
    }

    /// <summary>
    /// Asks a shard's worker to be running without waiting for the answer on this grain's turn. A frozen silo (a paused
    /// VM, a stalled node) keeps its sockets open and answers nothing until membership declares it dead or the call times
    /// out (30 s), and a turn waiting for it held everything else of the run meanwhile: its status, its followers, its
    /// cancellation, and the results of the shards on live silos. A shard whose ask is unanswered is not asked again; one
    /// that failed (its silo is gone) is asked again by the supervisor, and its worker is placed on a live silo.
    /// </summary>
    private void Ask(int shard, ShardWork work)
    {
        if (_asks.TryGetValue(shard, out var pending) && !pending.Call.IsCompleted)
        {
            // Said once per ask, when a supervision period finds it unanswered.
            if (!pending.Reported)
            {
                pending.Reported = true;
                logger.LogWarning("Run {RunId}: the worker of shard {Shard} has not answered for a supervision period (its silo frozen, stalled or overloaded?); " +
                    "the run goes on answering, and asks again once that call ends", Id, shard);
            }
            return;
        }
        _asks[shard] = new Asking(AskAsync(shard, work));
    }

    /// <summary>An ask in flight or ended, and whether it was reported as unanswered.</summary>
    private sealed class Asking(Task call)
    {
        public Task Call { get; } = call;

        public bool Reported { get; set; }
    }

    private async Task AskAsync(int shard, ShardWork work)
    {
        try
        {
            // An external code runs only where it is installed: the placement of the worker reads this (ExternalModelHostsDirector).
            if (Simulation.Models.ModelLibrary.Get(work.Request.Model) is Simulation.Models.External.ExternalModel external)
                RequestContext.Set(ExternalModelHostsDirector.ContextKey, external.Info.Id);
            await Worker(shard).EnsureRunningAsync(work);
        }
        catch (Exception ex)
        {
            logger.LogInformation(ex, "Run {RunId}: shard {Shard} could not be handed out; will retry", Id, shard);
        }
    }

    /// <summary>Stops the shards in flight: each stops at its next chunk and is not counted.</summary>
    private void StopDispatched()
    {
        foreach (var shard in _dispatched) Worker(shard).CancelAsync().Ignore();
        _dispatched.Clear();
        _asks.Clear();
    }

    /// <param name="justDispatched">the shards were handed out a moment ago: the first check can wait a period.</param>
    private void StartSupervising(bool justDispatched = false)
    {
        _supervisor ??= this.RegisterGrainTimer(SuperviseAsync, justDispatched ? options.Value.SupervisePeriod : TimeSpan.Zero, options.Value.SupervisePeriod);
    }

    private async Task SuperviseAsync(CancellationToken ct)
    {
        var expired = _followers.Where(f => DateTime.UtcNow - f.Value > options.Value.FollowerExpiry).Select(f => f.Key).ToList();
        foreach (var f in expired) _followers.Remove(f);
        if (!State.Exists || State.IsTerminal)
        {
            Stop();
            return;
        }
        EnsureKeepAlive().Ignore();
        if (State.AwaitsSeed)
        {
            if (State.Status == RunStatus.Suspended && !await SeedingPermittedAsync()) return;
            if (_seedRoundsToWait > 0 && _seeding is not { IsCompleted: false })
            {
                _seedRoundsToWait--;
                return;
            }
            StartSeeding();
            return;
        }
        if (State.Status == RunStatus.Suspended)
        {
            var (permit, _, _, grants) = await CheckGrantsAsync(record: false);
            if (!permit) return;
            await AppendAsync(SystemContext(), s => RunDecisions.Resume(s, grants, Clock.GetUtcNow()));
            Dispatch();
            return;
        }
        // Ask every worker in flight to be running (a new activation after a silo loss starts the shard again), then fill free slots.
        foreach (var shard in _dispatched.Where(i => !State.Shards.ContainsKey(i))) Ask(shard, WorkOf(Plan, shard));
        _dispatched.RemoveWhere(State.Shards.ContainsKey);
        Dispatch();
    }

    private void Stop()
    {
        _seedFit?.Cancel();
        StopDispatched();
        _inShard.Clear();
        _supervisor?.Dispose();
        _supervisor = null;
        RemoveKeepAliveAsync().Ignore();
    }
}
