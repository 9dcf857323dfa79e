using System.Buffers;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using DthGrains.Domain.Provenance;
using JasperFx.Events;
using Marten;
using Marten.Services;
using Npgsql;

namespace DthGrains.Grains.Platform;

/// <summary>The committer: batches of appends in one transaction, their hashes chained, failures answered per append, and an unknown commit outcome settled by what the store holds.</summary>
public sealed partial class EventLog
{
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
        var started = Stopwatch.GetTimestamp();
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
            var committed = await CommittedAsync(batch);
            LedgerMetrics.CommitAnswerLost(batch.Select(p => p.StreamKey), committed);
            failure = committed switch
            {
                true => null,
                false => new StoreUnavailableException(unknown.InnerException!),
                null => StoreUnavailableException.OutcomeUnknown(unknown.InnerException!),
            };
        }
        if (failure is not null)
        {
            LedgerMetrics.Failed(Stopwatch.GetElapsedTime(started));
            await AnswerFailureAsync(batch, precise, failure);
            return;
        }
        LedgerMetrics.Committed(batch.Select(p => (p.StreamKey, p.Events.Count)), batch.Count, Stopwatch.GetElapsedTime(started));
        foreach (var p in batch)
        {
            // Observers first: the appender's next append (the run's projection builds on what this one committed) must
            // find them told.
            foreach (var observer in _observers) observer.Committed(p.StreamKey, p.Events);
            p.Succeed();
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
                p.Fail(Refusal(p, failed.InnerException!));
                var rest = batch.Where(x => !ReferenceEquals(x, p)).ToList();
                if (rest.Count > 0) await CommitAsync(rest);
                return;
            }
            case var ex when batch.Count == 1:
                batch[0].Fail(Refusal(batch[0], ex));
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

    /// <summary>What an append that failed alone is answered with: a version conflict as <see cref="StreamConflictException"/> (and counted), else the failure.</summary>
    private static Exception Refusal(PendingAppend p, Exception ex)
    {
        if (!IsVersionConflict(ex)) return ex;
        LedgerMetrics.Conflict();
        return new StreamConflictException(p.StreamKey, p.ExpectedVersion, ex);
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
}
