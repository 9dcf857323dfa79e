using System.Collections.Concurrent;
using DthGrains.Contracts.Runs;
using DthGrains.Domain.Runs;
using DthGrains.Grains.Platform;
using Marten;

namespace DthGrains.Grains.Runs;

/// <summary>
/// Keeps <see cref="RunDocument"/> in step with run streams, in the appending transaction. Incremental (the document
/// plus the new events), because shard events carry sizeable statistics that a full re-fold would read again and again;
/// a new stream's document starts empty, and an unfinished run's last document is remembered between appends.
/// </summary>
public sealed class RunProjection : IInlineProjection, IAppendObserver
{
    /// <summary>Runs whose documents are remembered at most; beyond that the memory is dropped (it is only a shortcut).</summary>
    private const int MaxRemembered = 512;

    // The document each unfinished run had after the last append this silo projected. Loading it again in every
    // append's transaction was measured by hand at 5-10 ms of a 1,000-patient run (about 60 ms). It is used only when
    // its version is the one just before the new events, so a run whose stream another silo extended meanwhile is loaded
    // from the database as before; an append whose transaction failed never gets here (see _pending).
    private readonly ConcurrentDictionary<string, RunDocument> _recent = new(StringComparer.Ordinal);

    // The document an append's transaction stores, remembered only once that append committed (Committed, told with the
    // very event objects): a rejected write (another writer took the version) must not become the base of the next one.
    private readonly ConcurrentDictionary<string, (RunDocument Doc, object Last)> _pending = new(StringComparer.Ordinal);

    public async Task ProjectAsync(IDocumentSession session, IReadOnlyList<PendingEvent> events, CancellationToken ct)
    {
        foreach (var stream in events.Where(e => RunEventTypes.Names.ContainsKey(e.Data.GetType())).GroupBy(e => e.StreamKey))
        {
            var id = stream.Key[RunEventTypes.StreamPrefix.Length..];
            var first = stream.First().Version;
            var doc = first == 1 ? new RunDocument { Id = id }
                : _recent.TryRemove(id, out var known) && known.Version == first - 1 ? known
                : await session.LoadAsync<RunDocument>(id, ct) ?? new RunDocument { Id = id };
            foreach (var e in stream) Apply(doc, e.Data, e.Version);
            session.Store(doc);
            if (doc.Status is RunStatus.Completed or RunStatus.Failed or RunStatus.Cancelled) continue;
            if (_pending.Count >= MaxRemembered) _pending.Clear();
            _pending[id] = (doc, stream.Last().Data);
        }
    }

    public void Committed(string streamKey, IReadOnlyList<object> events)
    {
        if (events.Count == 0 || !streamKey.StartsWith(RunEventTypes.StreamPrefix, StringComparison.Ordinal)) return;
        var id = streamKey[RunEventTypes.StreamPrefix.Length..];
        if (!_pending.TryRemove(id, out var pending)) return;
        if (!ReferenceEquals(pending.Last, events[^1]))
        {
            // Staged by a later append than this one: still waiting for its own commit.
            _pending.TryAdd(id, pending);
            return;
        }
        if (_recent.Count >= MaxRemembered) _recent.Clear();
        _recent[id] = pending.Doc;
    }

    public static void Apply(RunDocument d, object e, long version)
    {
        switch (e)
        {
            case RunSubmitted s:
                d.Owner = s.Owner; d.OwnerInstitution = s.OwnerInstitution; d.Kind = s.Kind; d.Status = RunStatus.Submitted; d.ModelId = s.ModelId;
                d.ModelVersion = s.ModelVersion; d.EngineVersion = s.EngineVersion; d.ModelCodeDigest = s.ModelCodeDigest; d.RequestHash = s.RequestHash; d.Seed = s.Seed; d.Purpose = s.Purpose;
                d.Solver = s.Solver; d.Request = s.Request; d.Datasets = s.Datasets; d.Grants = s.Grants; d.ShardsTotal = s.Shards; d.SubjectsTotal = s.Subjects;
                d.SubmittedAt = s.SubmittedAt; d.UpdatedAt = s.SubmittedAt;
                d.RowBytesPerSubject = RunAdmission.RowBytesPerSubject(s.Kind, s.Outputs.Length);
                break;
            case RunStarted s: d.Status = RunStatus.Running; d.UpdatedAt = s.StartedAt; break;
            case CohortSeeded s: d.Request = d.Request is { } submitted ? submitted with { CohortFrom = s.Seed } : null; d.RequestHash = s.RequestHash; d.UpdatedAt = s.SeededAt; break;
            case ShardCompleted s when !d.ShardsCompleted.Contains(s.Shard):
                d.ShardsCompleted = [.. d.ShardsCompleted, s.Shard];
                d.ShardsDone = d.ShardsCompleted.Length;
                d.SubjectsDone += s.To - s.From;
                d.RowBytes += (s.To - s.From) * d.RowBytesPerSubject;
                d.Failed += s.Statistics?.Failed ?? 0;
                foreach (var (reason, count) in s.Statistics?.FailedBy ?? new Dictionary<string, long>())
                    (d.FailedBy ??= new Dictionary<string, long>(StringComparer.Ordinal))[reason] = d.FailedBy.GetValueOrDefault(reason) + count;
                d.UpdatedAt = s.CompletedAt;
                break;
            case RunSuspended s: d.Status = RunStatus.Suspended; d.StatusReason = s.Reason; d.UpdatedAt = s.SuspendedAt; break;
            case RunResumed s: d.Status = RunStatus.Running; d.StatusReason = null; d.Grants = [.. d.Grants.Union(s.Grants)]; d.UpdatedAt = s.ResumedAt; break;
            case RunCancelled s: d.Status = RunStatus.Cancelled; d.StatusReason = $"cancelled by {s.By}: {s.Reason}"; d.UpdatedAt = s.CancelledAt; break;
            case RunFailed s: d.Status = RunStatus.Failed; d.StatusReason = s.Reason; d.UpdatedAt = s.FailedAt; break;
            case RunCompleted s:
                d.Status = RunStatus.Completed; d.StatusReason = null; d.Summary = s.Summary; d.Sensitivity = s.Sensitivity; d.SensitivityAlso = s.SensitivityAlso; d.ComputedAt = s.ComputedAt; d.ResultHash = s.ResultHash;
                d.Grants = s.Grants; d.Failed = s.Failed; d.CompletedAt = s.CompletedAt; d.UpdatedAt = s.CompletedAt;
                break;
            // Not UpdatedAt: that stays the time the run ended, which the retention policy counts from.
            case RunRowsReleased s: d.RowsReleased = new RunRowsRelease(s.By, s.Reason, s.ReleasedAt); d.RowBytes = 0; break;
        }
        d.Version = version;
    }
}
