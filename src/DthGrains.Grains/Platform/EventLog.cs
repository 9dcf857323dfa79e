using System.Diagnostics;
using System.Threading.Channels;
using DthGrains.Contracts.Platform;
using DthGrains.Domain.Provenance;
using JasperFx;
using JasperFx.Events;
using Marten;
using Npgsql;

namespace DthGrains.Grains.Platform;

/// <summary>The version a stream reached and the hash of its new head event.</summary>
public readonly record struct AppendResult(long Version, string? HeadHash);

/// <summary>
/// The one place that appends events, for every capability: it writes the envelope, chains every event to its
/// predecessor (<c>prev_hash</c>, <c>hash</c> headers, schemas/ledger/CANONICAL-FORM.md), checks the expected stream
/// version, runs the inline projections in the same transaction, and commits.
/// </summary>
/// <remarks>
/// Group commit: appends from concurrent callers on different streams share one transaction. As soon as one of
/// <see cref="MaxBatchesInFlight"/> commit slots is free, the committer takes whatever is queued (at most
/// <see cref="MaxBatch"/> appends, never two of one stream, none of a stream whose batch is still committing), so a
/// lone writer waits for nobody and concurrent writers share the commit's cost; the next batch executes while the
/// previous one waits for its WAL flush. Projections see one append at a time and everything written before it in the
/// batch (<see cref="SaveAsync"/>). Every append keeps its own expected-version check; when one append fails (a lost
/// race: <see cref="StreamConflictException"/>), it alone is answered and the others are committed again without it.
/// </remarks>
public sealed partial class EventLog : IAsyncDisposable
{
    /// <summary>At most this many appends share one transaction.</summary>
    public const int MaxBatch = 64;

    /// <summary>Batches committed at once: the next batch executes while the previous one waits for its WAL flush.</summary>
    internal static int MaxBatchesInFlight { get; set; } = 2;

    private readonly IDocumentStore _store;
    private readonly IInlineProjection[] _projections;
    private readonly UnreadableEvents _unreadable;
    private readonly IAppendObserver[] _observers;
    private readonly DomainClock _clock;
    private readonly ISerializer _serializer;
    private readonly Channel<PendingAppend> _queue = Channel.CreateUnbounded<PendingAppend>(new UnboundedChannelOptions { SingleReader = false });
    private readonly Task _committer;

    public EventLog(IDocumentStore store, IEnumerable<IInlineProjection> projections, DomainClock clock,
        IEnumerable<IAppendObserver>? observers = null, UnreadableEvents? unreadable = null)
    {
        _store = store;
        _unreadable = unreadable ?? new UnreadableEvents();
        _projections = projections.ToArray();
        _observers = observers?.ToArray() ?? [];
        _clock = clock;
        _serializer = store.Options.Serializer();
        // The default scheduler, never a grain's: the committer outlives every caller.
        _committer = Task.Factory.StartNew(CommitLoopAsync, CancellationToken.None, TaskCreationOptions.DenyChildAttach, TaskScheduler.Default).Unwrap();
    }

    /// <summary>Switches the hash chain off. For the benchmark's baseline only: a ledger appended this way does not verify.</summary>
    internal bool ChainEnabled { get; set; } = true;

    /// <summary>
    /// Appends <paramref name="events"/> to <paramref name="streamKey"/>, which must be exactly at
    /// <paramref name="expectedVersion"/> (0: the stream must not exist yet). Returns the new version.
    /// </summary>
    /// <param name="previousHash">the hash of the stream's head at <paramref name="expectedVersion"/> when the caller knows it
    /// (a grain does); otherwise it is read with one indexed lookup per batch.</param>
    /// <exception cref="StreamConflictException">another writer appended first.</exception>
    public async Task<long> AppendAsync(string streamKey, long expectedVersion, IReadOnlyList<object> events, CommandContext context, CancellationToken ct = default, string? previousHash = null) =>
        (await AppendChainedAsync(streamKey, expectedVersion, events, context, previousHash, ct)).Version;

    /// <summary>
    /// Appends to the head of a log-like stream (a dataset's access log, an actor's denials), whose writers record what
    /// happened rather than decide on the stream's state: reads the head's version and appends after it, and again after
    /// the new head when another writer came first (up to <paramref name="retries"/> times). Returns the new version.
    /// </summary>
    public async Task<long> AppendAtHeadAsync(string streamKey, IReadOnlyList<object> events, CommandContext context, int retries = 3, CancellationToken ct = default)
    {
        // Writers of one stream in this process take turns: fifty denials of one actor at once all conflicted on the same
        // head, and each commit let one through, so most ran out of retries and went unrecorded. Only writers on other
        // silos can still come first, and the retries are for them.
        var turn = HeadTurns[(int)((uint)StringComparer.Ordinal.GetHashCode(streamKey) % (uint)HeadTurns.Length)];
        await turn.WaitAsync(ct);
        try
        {
            return await AppendAtHeadInTurnAsync(streamKey, events, context, retries, ct);
        }
        finally
        {
            turn.Release();
        }
    }

    /// <summary>Turns for <see cref="AppendAtHeadAsync"/>, striped by stream key: bounded, and streams rarely share one.</summary>
    private static readonly SemaphoreSlim[] HeadTurns = [.. Enumerable.Range(0, 64).Select(_ => new SemaphoreSlim(1, 1))];

    private async Task<long> AppendAtHeadInTurnAsync(string streamKey, IReadOnlyList<object> events, CommandContext context, int retries, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            long head;
            await using (var session = _store.QuerySession())
                head = (await session.Events.FetchStreamStateAsync(streamKey, ct))?.Version ?? 0;
            try
            {
                return await AppendAsync(streamKey, head, events, context, ct);
            }
            catch (StreamConflictException) when (attempt < retries)
            {
            }
        }
    }

    /// <summary>As <see cref="AppendAsync"/>, also returning the new head's hash (to pass as the next append's <c>previousHash</c>).</summary>
    public Task<AppendResult> AppendChainedAsync(string streamKey, long expectedVersion, IReadOnlyList<object> events, CommandContext context, string? previousHash = null, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(streamKey);
        ArgumentOutOfRangeException.ThrowIfNegative(expectedVersion);
        // An empty append once wedged Marten streams (fixed upstream, still never worth doing).
        if (events.Count == 0) return Task.FromResult(new AppendResult(expectedVersion, previousHash));
        ct.ThrowIfCancellationRequested();
        var envelope = EnvelopeHeaders.Create(context with { TraceId = context.TraceId ?? Activity.Current?.TraceId.ToString() }, _clock.GetUtcNow());
        var pending = new PendingAppend(streamKey, expectedVersion, events, envelope, expectedVersion == 0 ? LedgerHash.Genesis : previousHash, ct);
        if (!_queue.Writer.TryWrite(pending)) throw new ObjectDisposedException(nameof(EventLog), "The event log is shut down.");
        // The committer completes it on the default scheduler with RunContinuationsAsynchronously: a grain's await
        // resumes on the grain's own scheduler, and nothing blocks on a grain's turn.
#pragma warning disable VSTHRD003
        return pending.Completion.Task;
#pragma warning restore VSTHRD003
    }

    /// <summary>The hash stored on a stream's head, for callers that did not read the stream (null when absent).</summary>
    public static string? HashOf(IEvent e) =>
        e.Headers is { } h && h.TryGetValue(LedgerHash.HashHeader, out var v) && v?.ToString() is { Length: > 0 } s ? s : null;

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        // The committer runs on the default scheduler and ends once the queue is drained.
#pragma warning disable VSTHRD003
        await _committer;
#pragma warning restore VSTHRD003
    }

    private string Schema => _store.Options.Events.DatabaseSchemaName;

    private static bool IsVersionConflict(Exception ex) => ex switch
    {
        EventStreamUnexpectedMaxEventIdException or ExistingStreamIdCollisionException or Marten.Exceptions.ExistingStreamIdCollisionException or ConcurrencyException => true,
        // The unique (stream, version) index is the last line of defence when two appends interleave.
        PostgresException { SqlState: PostgresErrorCodes.UniqueViolation } => true,
        _ when ex.InnerException is not null => IsVersionConflict(ex.InnerException),
        _ => false,
    };

    /// <summary>One caller's append, waiting in the queue or in a batch.</summary>
    private sealed class PendingAppend
    {
        private readonly CancellationTokenRegistration _cancellation;
        private int _claimed;

        public PendingAppend(string streamKey, long expectedVersion, IReadOnlyList<object> events, EventEnvelope envelope, string? previousHash, CancellationToken ct)
        {
            StreamKey = streamKey;
            ExpectedVersion = expectedVersion;
            Events = events;
            Envelope = envelope;
            PreviousHash = previousHash;
            // Cancellation counts only while the append waits; once in a batch, the caller gets the real outcome.
            if (ct.CanBeCanceled)
                _cancellation = ct.Register(() =>
                {
                    if (Interlocked.CompareExchange(ref _claimed, 2, 0) == 0) Completion.TrySetCanceled(ct);
                });
        }

        public string StreamKey { get; }
        public long ExpectedVersion { get; }
        public IReadOnlyList<object> Events { get; }
        public EventEnvelope Envelope { get; }
        public string? PreviousHash { get; set; }
        public string? HeadHash { get; set; }

        public TaskCompletionSource<AppendResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>True when the append may go into a batch (it was not cancelled while waiting).</summary>
        public bool TryClaim()
        {
            var claimed = Interlocked.CompareExchange(ref _claimed, 1, 0) != 2;
            if (claimed) _cancellation.Dispose();
            return claimed;
        }

        public void Succeed() => Completion.TrySetResult(new AppendResult(ExpectedVersion + Events.Count, HeadHash));

        public void Fail(Exception ex) => Completion.TrySetException(ex);
    }
}
