using DthGrains.Contracts.Platform;
using DthGrains.Domain.Platform;
using Microsoft.Extensions.DependencyInjection;

namespace DthGrains.Grains.Platform;

/// <summary>
/// The thin grain shape every capability uses: load state by folding the stream at activation, decide with
/// a pure function, append with the expected version, reply. The stream, not grain memory, is the truth:
/// a lost race (another activation, another writer) reloads the state and answers 409.
/// </summary>
public abstract class EventSourcedGrain<TState> : Grain where TState : class
{
    // Each idempotency key recorded on this stream: the version its command reached and the fingerprint of the request
    // that carried it (null when recorded without one, or before fingerprints were recorded).
    private readonly Dictionary<string, (long Version, string? Fingerprint)> _idempotencyKeys = new(StringComparer.Ordinal);

    // The head's hash, passed to the next append so that the ledger need not look it up.
    private string? _headHash;

    protected TState State { get; private set; } = null!;

    protected long Version { get; private set; }

    protected EventLog Log => ServiceProvider.GetRequiredService<EventLog>();

    protected DomainClock Clock => ServiceProvider.GetRequiredService<DomainClock>();

    /// <summary>The stream this grain owns, for example <c>organisation:charite</c>.</summary>
    protected abstract string StreamKey { get; }

    protected abstract TState InitialState();

    protected abstract TState Evolve(TState state, object @event);

    /// <summary>
    /// Called once for each recorded event, in order: on replay and after each append. <see cref="Evolve"/> may run more
    /// than once per event (a decision folds what it decides), so what must see every event exactly once (a running merge
    /// kept beside the state) goes here. <see cref="Replaying"/> comes before a replay from the start.
    /// </summary>
    protected virtual void Recorded(object @event)
    {
    }

    /// <summary>
    /// Called once for each event this activation appended itself, in order, after its commit and after
    /// <see cref="Recorded"/>, when the state already holds every event of the append; never on replay. What counts
    /// events as they happen (metrics) goes here: a replay, a conflict lost to a rival or a grain moved to another silo
    /// counts nothing twice.
    /// </summary>
    protected virtual void Appended(object @event)
    {
    }

    /// <summary>The state is about to be replayed from the start: forget what <see cref="Recorded"/> kept.</summary>
    protected virtual void Replaying()
    {
    }

    /// <summary>
    /// The state was replayed from the stream: at activation, or after a conflict showed this activation was behind (another
    /// writer's events, or its own command's, recorded although their append was answered with an unknown outcome).
    /// </summary>
    protected virtual void Reloaded()
    {
    }

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        await ReloadAsync(cancellationToken);
        await base.OnActivateAsync(cancellationToken);
    }

    protected async Task ReloadAsync(CancellationToken ct = default)
    {
        var events = await Log.ReadAsync(StreamKey, ct: ct);
        var state = InitialState();
        _idempotencyKeys.Clear();
        Replaying();
        foreach (var e in events)
        {
            state = Evolve(state, e.Data);
            Recorded(e.Data);
            if (e.Headers?.TryGetValue(EnvelopeHeaders.IdempotencyKey, out var key) == true && key?.ToString() is { } k)
                _idempotencyKeys[k] = (e.Version, e.Headers.TryGetValue(EnvelopeHeaders.IdempotencyFingerprint, out var f) ? f?.ToString() : null);
        }
        State = state;
        Version = events.Count == 0 ? 0 : events[^1].Version;
        _headHash = events.Count == 0 ? null : EventLog.HashOf(events[^1]);
        Reloaded();
    }

    /// <summary>True when a command with this idempotency key was already recorded: its repeat appends nothing.</summary>
    protected bool IsRepeat(CommandContext context) => context.IdempotencyKey is { } key && _idempotencyKeys.ContainsKey(key);

    /// <summary>
    /// 422 when this idempotency key was recorded for a different request (another method, path or body): answering the
    /// first request's result would tell the caller that a command it never sent succeeded. Null otherwise, also when
    /// either side has no fingerprint (a grain-to-grain command) or the key is new.
    /// </summary>
    protected Problem? ReusedKey(CommandContext context) =>
        context is { IdempotencyKey: { } key, IdempotencyFingerprint: { } fingerprint }
        && _idempotencyKeys.TryGetValue(key, out var seen) && seen.Fingerprint is { } recorded && recorded != fingerprint
            ? new Problem(ProblemKind.Unprocessable, "Idempotency key reused",
                $"Idempotency-Key '{key}' was already used for a different request, or by another caller (recorded at version {seen.Version}). A repeat " +
                "comes from the same caller with the same method, path and body; send a new key for a new request.", null, Version)
            : null;

    /// <summary>
    /// Runs one command: honours the idempotency key and the caller's expected version, decides, appends.
    /// Returns the new version, or the problem that refused the command.
    /// </summary>
    protected async Task<(long Version, Problem? Problem)> ExecuteAsync(CommandContext context, Func<TState, Decision> decide)
    {
        if (AnsweredUpFront(context) is { } answered) return answered;

        var decision = decide(State);
        if (decision.Problem is not null) return (Version, decision.Problem);
        if (decision.Events.Count == 0) return (Version, null);
        try
        {
            var (newVersion, headHash) = await Log.AppendChainedAsync(StreamKey, Version, decision.Events, context, _headHash);
            State = decision.Events.Aggregate(State, Evolve);
            foreach (var e in decision.Events) Recorded(e);
            foreach (var e in decision.Events) Appended(e);
            Version = newVersion;
            _headHash = headHash;
            if (context.IdempotencyKey is { } k) _idempotencyKeys[k] = (newVersion, context.IdempotencyFingerprint);
            return (newVersion, null);
        }
        catch (StreamConflictException)
        {
            await ReloadAsync();
            // The rival may be this very command: an earlier attempt whose COMMIT went out just before the connection
            // broke was answered 503 (outcome unknown) while its events were stored, and this activation never saw them.
            // With its key, the retry gets the answer any repeat gets.
            return AnsweredBefore(context) ?? (Version, Problem.Conflict($"Another change was recorded first; the resource is now at version {Version}. Read it again and retry.", Version));
        }
    }

    /// <summary>
    /// The answer a command gets before anything is done for it: its first answer when its Idempotency-Key was recorded
    /// (422 when with another request), 412 when its If-Match is not the current version; null when it is to be run.
    /// <see cref="ExecuteAsync"/> asks it first; a command with work before its decision (reading a patient's data,
    /// running a simulation) asks it before that work, which must not be done again for a repeat, or for nothing.
    /// </summary>
    protected (long Version, Problem? Problem)? AnsweredUpFront(CommandContext context)
    {
        if (AnsweredBefore(context) is { } answered) return answered;
        if (context.ExpectedVersion is { } expected && expected != Version)
            return (Version, new Problem(ProblemKind.PreconditionFailed, "Precondition failed",
                $"The resource is at version {Version}, not {expected}; read it again and retry with If-Match: \"{Version}\".", null, Version));
        return null;
    }

    /// <summary>
    /// The answer to a command whose Idempotency-Key was recorded: success, appending nothing, when it carries the same
    /// request, the 422 of <see cref="ReusedKey"/> when another; null for a key not recorded (or none). The success names
    /// the current version, as the state answered with it is the current one: the recorded version with today's state gave
    /// an ETag that disagreed with the body's version, and the client's next If-Match failed.
    /// </summary>
    private (long Version, Problem? Problem)? AnsweredBefore(CommandContext context)
    {
        if (ReusedKey(context) is { } reused) return (Version, reused);
        return context.IdempotencyKey is { } key && _idempotencyKeys.ContainsKey(key) ? (Version, null) : null;
    }
}
