using System.Buffers;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using DthGrains.Contracts.Platform;
using DthGrains.Domain.Provenance;
using JasperFx;
using JasperFx.Events;
using Marten;
using Marten.Services;
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
public sealed class EventLog : IAsyncDisposable
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

    /// <summary>Reads a stream from the start, up to a version and/or a moment (inclusive); empty when it does not exist.</summary>
    public async Task<IReadOnlyList<IEvent>> ReadAsync(string streamKey, long toVersion = 0, DateTimeOffset? asOf = null, CancellationToken ct = default)
    {
        await using var session = _store.QuerySession();
        try
        {
            return await session.Events.FetchStreamAsync(streamKey, toVersion, asOf, token: ct);
        }
        catch (Exception ex) when (UnreadableEvents.IsDeserializationFailure(ex))
        {
            throw _unreadable.Record(streamKey, ex);
        }
    }

    /// <summary>
    /// Reads a stream's event bodies without the named top-level fields of the named event types, which PostgreSQL drops
    /// before sending: for readers that need only an event's small fields, such as a run's followers catching up on shard
    /// events whose statistics and subject rows are nearly all of their bytes. The omitted fields deserialise as their
    /// defaults (null), so these events are for describing, never for folding results or checking hashes.
    /// </summary>
    /// <param name="omitted">per stored event type name, the fields its body is read without</param>
    public async Task<IReadOnlyList<(long Version, object Data)>> ReadWithoutAsync(string streamKey, IReadOnlyDictionary<string, string[]> omitted, CancellationToken ct = default)
    {
        await using var connection = _store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText =
            "select version, type, (data - coalesce(array(select jsonb_array_elements_text(@omitted::jsonb -> type)), '{}'::text[]))::text " +
            $"from {Schema}.mt_events where stream_id = @stream order by version";
        command.Parameters.AddWithValue("stream", streamKey);
        command.Parameters.AddWithValue("omitted", System.Text.Json.JsonSerializer.Serialize(omitted));
        return await ReadBodiesAsync(command, streamKey, ct);
    }

    /// <summary>
    /// Reads the events at the given versions of a stream, whole, in the order given (a version not in the stream is left
    /// out): for readers that take a large stream's events a few at a time, such as a run's results in shard order.
    /// </summary>
    public async Task<IReadOnlyList<(long Version, object Data)>> ReadVersionsAsync(string streamKey, IReadOnlyList<long> versions, CancellationToken ct = default)
    {
        await using var connection = _store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = $"select version, type, data::text from {Schema}.mt_events where stream_id = @stream and version = any(@versions)";
        command.Parameters.AddWithValue("stream", streamKey);
        command.Parameters.AddWithValue("versions", versions.ToArray());
        var found = (await ReadBodiesAsync(command, streamKey, ct)).ToDictionary(e => e.Version);
        return [.. versions.Where(found.ContainsKey).Select(v => found[v])];
    }

    /// <summary>Deserialises (version, type name, JSON body) rows.</summary>
    private async Task<IReadOnlyList<(long Version, object Data)>> ReadBodiesAsync(NpgsqlCommand command, string streamKey, CancellationToken ct)
    {
        var events = new List<(long, object)>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var name = reader.GetString(1);
            var type = EventTypeRegistry.TypeOf(name) ?? throw _unreadable.Record(streamKey, new InvalidOperationException($"Event type '{name}' is not known to this version."));
            try
            {
                using var body = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(reader.GetString(2)));
                events.Add((reader.GetInt64(0), _serializer.FromJson(type, body)));
            }
            catch (Exception ex) when (UnreadableEvents.IsDeserializationFailure(ex))
            {
                throw _unreadable.Record(streamKey, ex);
            }
        }
        return events;
    }

    /// <summary>Reads a stream as wire records: type name, JSON body and envelope per event.</summary>
    public async Task<IReadOnlyList<StoredEvent>> ReadStoredAsync(string streamKey, long toVersion = 0, DateTimeOffset? asOf = null, CancellationToken ct = default)
    {
        var events = await ReadAsync(streamKey, toVersion, asOf, ct);
        return events.Select(e => new StoredEvent(streamKey, e.Version, e.Sequence, e.EventTypeName, _serializer.ToJson(e.Data), EnvelopeHeaders.Read(e))).ToArray();
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

    private async Task CommitLoopAsync()
    {
        var reader = _queue.Reader;
        var deferred = new List<PendingAppend>();
        var inFlight = new HashSet<string>(StringComparer.Ordinal);
        var running = new HashSet<Task>();
        var finished = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var slots = new SemaphoreSlim(MaxBatchesInFlight);
        while (true)
        {
            // A free slot first: whatever queues up meanwhile joins the next batch.
            await slots.WaitAsync();
            List<PendingAppend> batch;
            Task commitDone;
            while (true)
            {
                lock (inFlight)
                {
                    batch = Collect(reader, deferred, inFlight);
                    commitDone = finished.Task;
                }
                if (batch.Count > 0) break;
                if (deferred.Count == 0)
                {
                    if (!await reader.WaitToReadAsync()) goto Drained;
                }
                else
                {
                    // Only appends whose stream is in a batch being committed wait: for new input or for that commit.
                    await Task.WhenAny(reader.WaitToReadAsync().AsTask(), commitDone);
                }
            }
            var commit = Task.Run(async () =>
            {
                try
                {
                    await CommitAsync(batch);
                }
                catch (Exception ex)
                {
                    // CommitAsync answers every append itself; this only guards against a bug there.
                    foreach (var p in batch) p.Fail(ex);
                }
                finally
                {
                    TaskCompletionSource done;
                    lock (inFlight)
                    {
                        foreach (var p in batch) inFlight.Remove(p.StreamKey);
                        done = finished;
                        finished = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    }
                    slots.Release();
                    done.TrySetResult();
                }
            });
            lock (running)
            {
                running.RemoveWhere(t => t.IsCompleted);
                running.Add(commit);
            }
        }
    Drained:
        Task[] last;
        lock (running) last = [.. running];
        await Task.WhenAll(last);
        foreach (var p in deferred) p.Fail(new ObjectDisposedException(nameof(EventLog), "The event log is shut down."));
    }

    /// <summary>The next batch: waiting appends, at most one per stream and none of a stream already being committed.</summary>
    private static List<PendingAppend> Collect(ChannelReader<PendingAppend> reader, List<PendingAppend> deferred, HashSet<string> inFlight)
    {
        var batch = new List<PendingAppend>();
        var later = new List<PendingAppend>();
        void Take(PendingAppend p)
        {
            if (!p.TryClaim()) return;
            if (batch.Count < MaxBatch && inFlight.Add(p.StreamKey)) batch.Add(p);
            else later.Add(p);
        }
        foreach (var p in deferred) Take(p);
        while (batch.Count < MaxBatch && reader.TryRead(out var next)) Take(next);
        deferred.Clear();
        deferred.AddRange(later);
        return batch;
    }

    /// <param name="precise">flush each append on its own, so that a failure names its append (after a batch failed).</param>
    private async Task CommitAsync(IReadOnlyList<PendingAppend> batch, bool precise = false)
    {
        Exception? failure = null;
        try
        {
            await ResolvePreviousHashesAsync(batch);
            await SaveAsync(batch, precise);
        }
        catch (Exception ex)
        {
            failure = ex;
        }
        if (failure is CommitOutcomeUnknownException unknown)
        {
            // The COMMIT went out and the connection broke before its answer came back: PostgreSQL may have committed.
            // Answering that as a failure told the caller "not committed" about events that were stored, and the
            // caller's retry then met its own events as a rival's (a 409 for its own command).
            failure = await CommittedAsync(batch) switch
            {
                true => null,
                false => new StoreUnavailableException(unknown.InnerException!),
                null => StoreUnavailableException.OutcomeUnknown(unknown.InnerException!),
            };
        }
        if (failure is not null)
        {
            await AnswerFailureAsync(batch, precise, failure);
            return;
        }
        foreach (var p in batch)
        {
            p.Succeed();
            foreach (var observer in _observers) observer.Committed(p.StreamKey, p.Events);
        }
    }

    private async Task AnswerFailureAsync(IReadOnlyList<PendingAppend> batch, bool precise, Exception failure)
    {
        switch (failure)
        {
            case AppendFailedException failed:
            {
                // That append alone is answered (a conflict as StreamConflictException); the rest go again in a new transaction.
                var p = failed.Append;
                p.Fail(IsVersionConflict(failed.InnerException!) ? new StreamConflictException(p.StreamKey, p.ExpectedVersion, failed.InnerException!) : failed.InnerException!);
                var rest = batch.Where(x => !ReferenceEquals(x, p)).ToList();
                if (rest.Count > 0) await CommitAsync(rest);
                return;
            }
            case var ex when batch.Count == 1:
                batch[0].Fail(IsVersionConflict(ex) ? new StreamConflictException(batch[0].StreamKey, batch[0].ExpectedVersion, ex) : ex);
                return;
            case var _ when !precise:
                // Several appends were flushed together: run the batch again one flush per append to find the one to blame.
                await CommitAsync(batch, precise: true);
                return;
            default:
                // The transaction itself failed (connection, commit): let each append meet its own fate.
                foreach (var p in batch) await CommitAsync([p]);
                return;
        }
    }

    /// <summary>
    /// Whether PostgreSQL committed a batch whose COMMIT got no answer: true when every append's last event is stored
    /// with the hash this batch gave it (the hash covers the event's body, its envelope and its predecessor, so no other
    /// writer's event has it), false when none is, null when the store cannot be read or the answer is not that clear.
    /// </summary>
    private async Task<bool?> CommittedAsync(IReadOnlyList<PendingAppend> batch)
    {
        if (!ChainEnabled || batch.Any(p => p.HeadHash is null)) return null;
        try
        {
            var stored = await HashesAtAsync(batch.Select(p => (p.StreamKey, p.ExpectedVersion + p.Events.Count)).ToList());
            var ours = batch.Count(p => stored.GetValueOrDefault(p.StreamKey) == p.HeadHash);
            return ours == batch.Count ? true : ours == 0 ? false : null;
        }
        catch (Exception)
        {
            return null;
        }
    }

    /// <summary>
    /// One transaction and one Marten session for the batch. Each append's projections are called with that append's
    /// events only (one stream, in version order, as <see cref="IInlineProjection"/> expects), and whatever the appends
    /// before it staged is flushed into the transaction first, so that they read it: exactly as if the appends had
    /// committed one after another. Appends whose projections stage nothing share one flush.
    /// </summary>
    private async Task SaveAsync(IReadOnlyList<PendingAppend> batch, bool precise)
    {
        await using var connection = _store.Storage.Database.CreateConnection();
        await connection.OpenAsync();
        // Whether the COMMIT was sent: a failure after it leaves the outcome unknown.
        var commitSent = new StrongBox<bool>();
        try
        {
            await SaveInAsync(connection, batch, precise, commitSent);
        }
        catch (Exception ex) when (ex is not StoreUnavailableException && Broken(connection))
        {
            // The connection died under the batch (a server restart): no append is to blame, and whatever failed
            // after that (Marten retrying in a completed transaction, say) is a symptom. Say so, retryably; and if the
            // COMMIT was already sent, say that its outcome is unknown, for CommitAsync to look it up.
            throw commitSent.Value ? new CommitOutcomeUnknownException(ex) : new StoreUnavailableException(ex);
        }
    }

    /// <summary>The connection broke after the COMMIT was sent: PostgreSQL may or may not have committed.</summary>
    private sealed class CommitOutcomeUnknownException(Exception inner) : Exception("The connection broke after the COMMIT was sent.", inner);

    private static bool Broken(NpgsqlConnection connection) =>
        connection.FullState.HasFlag(System.Data.ConnectionState.Broken) || connection.FullState == System.Data.ConnectionState.Closed;

    private async Task SaveInAsync(NpgsqlConnection connection, IReadOnlyList<PendingAppend> batch, bool precise, StrongBox<bool> commitSent)
    {
        await using var tx = await connection.BeginTransactionAsync();
        await using var session = _store.LightweightSession(SessionOptions.ForTransaction(tx, false));
        var unflushed = new List<PendingAppend>();
        var staged = false;
        foreach (var p in batch)
        {
            if (staged || (precise && unflushed.Count > 0)) await FlushAsync(session, unflushed);
            Stage(session, p);
            unflushed.Add(p);
            var pending = p.Events.Select((data, i) => new PendingEvent(p.StreamKey, p.ExpectedVersion + i + 1, data, p.Envelope)).ToArray();
            try
            {
                foreach (var projection in _projections) await projection.ProjectAsync(session, pending, CancellationToken.None);
            }
            catch (Exception ex) when (UnreadableEvents.IsDeserializationFailure(ex))
            {
                // A projection could not read the stream's stored events: loud, never skipped.
                throw new AppendFailedException(p, _unreadable.Record(p.StreamKey, ex));
            }
            catch (Exception ex)
            {
                throw new AppendFailedException(p, ex);
            }
            staged = session.PendingChanges.Operations().Any();
        }
        await FlushAsync(session, unflushed);
        commitSent.Value = true;
        await tx.CommitAsync();
    }

    /// <summary>Executes the staged appends and documents in the transaction (no commit).</summary>
    private static async Task FlushAsync(IDocumentSession session, List<PendingAppend> unflushed)
    {
        try
        {
            await session.SaveChangesAsync(CancellationToken.None);
        }
        catch (Exception ex) when (unflushed.Count == 1)
        {
            throw new AppendFailedException(unflushed[0], ex);
        }
        unflushed.Clear();
    }

    /// <summary>Stages one append's events with their envelope and hash chain.</summary>
    private void Stage(IDocumentSession session, PendingAppend p)
    {
        var action = p.ExpectedVersion == 0
            ? session.Events.StartStream(p.StreamKey, p.Events)
            : session.Events.Append(p.StreamKey, p.ExpectedVersion + p.Events.Count, p.Events);
        var previous = p.PreviousHash ?? LedgerHash.Genesis;
        var version = p.ExpectedVersion;
        foreach (var e in action.Events)
        {
            EnvelopeHeaders.Write(e, p.Envelope);
            version++;
            if (!ChainEnabled) continue;
            var hash = Hash(p.StreamKey, version, e, previous);
            e.SetHeader(LedgerHash.PreviousHashHeader, previous);
            e.SetHeader(LedgerHash.HashHeader, hash);
            previous = hash;
        }
        p.HeadHash = ChainEnabled ? previous : null;
    }

    /// <summary>Names the append of a batch whose statements failed; the transaction is lost, the others are not to blame.</summary>
    private sealed class AppendFailedException(PendingAppend append, Exception inner) : Exception("One append of a batch failed.", inner)
    {
        public PendingAppend Append { get; } = append;
    }

    /// <summary>The event's hash over its body and headers as Marten will store them.</summary>
    private string Hash(string streamKey, long version, IEvent e, string previous)
    {
        var type = e.EventTypeName ?? throw new InvalidOperationException($"Event type {e.EventType.Name} has no stored name.");
        // UTF-8 straight into buffers this thread reuses (Stage never awaits): a shard event's JSON as a .NET string was
        // a 130 KB object on the large object heap per event, twice.
        var body = t_body ??= new ArrayBufferWriter<byte>(16 * 1024);
        var headers = t_headers ??= new ArrayBufferWriter<byte>(1024);
        body.ResetWrittenCount();
        headers.ResetWrittenCount();
        try
        {
            _serializer.WriteTo(body, e.Data);
            _serializer.WriteTo(headers, e.Headers ?? new Dictionary<string, object>());
            return LedgerHash.Compute(new LedgerEventContent(streamKey, version, type, body.WrittenMemory, headers.WrittenMemory, e.CorrelationId, e.CausationId, previous));
        }
        finally
        {
            // A rare huge event should not pin its buffer to the thread for good.
            if (body.Capacity > MaxRetainedBuffer) t_body = null;
            if (headers.Capacity > MaxRetainedBuffer) t_headers = null;
        }
    }

    private const int MaxRetainedBuffer = 1 << 20;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_body;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_headers;

    /// <summary>Reads the head hash of every stream in the batch whose caller did not pass it: one indexed query.</summary>
    private async Task ResolvePreviousHashesAsync(IReadOnlyList<PendingAppend> batch)
    {
        var missing = batch.Where(p => p.PreviousHash is null).ToList();
        if (missing.Count == 0 || !ChainEnabled) return;
        var hashes = await HashesAtAsync(missing.Select(p => (p.StreamKey, p.ExpectedVersion)).ToList());
        // No head at the expected version: the append will meet a version conflict; an unhashed head is the verifier's to report.
        foreach (var p in missing) p.PreviousHash = hashes.GetValueOrDefault(p.StreamKey) ?? LedgerHash.Genesis;
    }

    /// <summary>The hash header of each stream's event at the given version, by stream (absent when no event is there): one indexed query.</summary>
    private async Task<Dictionary<string, string?>> HashesAtAsync(IReadOnlyList<(string Stream, long Version)> at)
    {
        await using var connection = _store.Storage.Database.CreateConnection();
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText =
            $"select e.stream_id, e.headers ->> '{LedgerHash.HashHeader}' from {Schema}.mt_events e " +
            "join unnest(@streams, @versions) as k(stream_id, version) on e.stream_id = k.stream_id and e.version = k.version";
        command.Parameters.AddWithValue("streams", at.Select(a => a.Stream).ToArray());
        command.Parameters.AddWithValue("versions", at.Select(a => a.Version).ToArray());
        var hashes = new Dictionary<string, string?>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) hashes[reader.GetString(0)] = reader.IsDBNull(1) ? null : reader.GetString(1);
        return hashes;
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
