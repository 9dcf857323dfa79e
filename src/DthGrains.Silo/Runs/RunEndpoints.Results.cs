using System.Text;
using DthGrains.Contracts.Platform;
using DthGrains.Contracts.Runs;
using DthGrains.Domain.Governance;
using DthGrains.Domain.Runs;
using DthGrains.Grains.Platform;
using DthGrains.Grains.Runs;
using DthGrains.Silo.Platform;
using Marten;

namespace DthGrains.Silo.Runs;

/// <summary>A completed run's outputs: its per-subject rows (CSV or JSON), its recorded shards and its RO-Crate, read a few shards at a time.</summary>
public static partial class RunEndpoints
{
    /// <summary>
    /// A completed run's document, its outputs and its per-subject rows in subject order, read lazily: first the stream
    /// without the shards' heavy fields (to learn which version holds which shard), then the shard events a batch at a
    /// time as the rows are consumed, so a download holds a few shards' rows at once, not a million subjects'.
    /// </summary>
    /// <param name="withoutRows">the caller can do without the rows: a run whose rows were released is not refused (its rows are null).</param>
    /// <returns>with the document, the stream versions of its shards (<see cref="ShardVersionsAsync"/>), for callers that read the shards too.</returns>
    private static async Task<(RunDocument? Document, string[] Outputs, List<long> ShardVersions, IAsyncEnumerable<SubjectRow>? Rows, IResult? Refused)> CompletedAsync(
        string id, HttpContext http, IDocumentStore store, EventLog log, bool withoutRows = false)
    {
        var (doc, refused) = await VisibleAsync(id, http, store);
        if (refused is not null) return (null, [], [], null, refused);
        if (doc!.Status != RunStatus.Completed)
            return (null, [], [], null, Problem.Conflict($"The run is {AccessPolicy.Kebab(doc.Status)}; results are available once it completes.", doc.Version).ToProblem(http));
        if (doc.RowsReleased is { } released && !withoutRows)
            return (null, [], [], null, RowsReleased(doc, released));
        var outputs = doc.Summary?.Outputs ?? [];
        var stream = RunEventTypes.StreamOf(id);
        var versions = await ShardVersionsAsync(log, stream, http.RequestAborted);
        if (doc.RowsReleased is not null) return (doc, outputs, versions, null, null);
        var width = outputs.Length * Simulation.Cohorts.SubjectShardRunner.SummaryPerOutput;
        return (doc, outputs, versions, RunExports.Subjects(ShardsInOrderAsync(store, log, stream, versions, http.RequestAborted), width), null);
    }

    /// <summary>
    /// The stream versions of a run's shard events, one per shard index (the first recorded, as the run counted it), in
    /// shard order: from the stream read without the shards' heavy fields.
    /// </summary>
    private static async Task<List<long>> ShardVersionsAsync(EventLog log, string stream, CancellationToken ct)
    {
        var light = await log.ReadWithoutAsync(stream, RunEventJson.ResultFields, ct);
        return [.. light.Where(e => e.Data is ShardCompleted).GroupBy(e => ((ShardCompleted)e.Data).Shard)
            .OrderBy(g => g.Key).Select(g => g.Min(e => e.Version))];
    }

    /// <summary>410: the rows are gone on purpose, and the answer says what stays and how to get them back.</summary>
    private static IResult RowsReleased(RunDocument doc, RunRowsRelease released) => TypedResults.Problem(new Microsoft.AspNetCore.Mvc.ProblemDetails
    {
        Status = StatusCodes.Status410Gone,
        Title = "Per-subject rows released",
        Type = "https://dthgrains.eu/problems/rows-released",
        Detail = $"The per-subject rows of run '{doc.Id}' were released on {released.At:u} by {released.By} ({released.Reason}). Its summary statistics and " +
            $"bands stay at /api/runs/{doc.Id}, and its RO-Crate without the rows at /api/runs/{doc.Id}/ro-crate. To have the rows again, submit the run's " +
            $"request again (the same seed gives the same rows, bit for bit): its shard events in /api/runs/{doc.Id}/history keep each shard's rows digest to check them.",
    });

    /// <summary>Shard events (and their rows) read at most this many at a time.</summary>
    private const int ShardBatch = 8;

    /// <summary>The shard events at <paramref name="versions"/>, in their order, a batch at a time.</summary>
    private static async IAsyncEnumerable<List<ShardCompleted>> ShardBatchesAsync(EventLog log, string stream, List<long> versions,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        foreach (var batch in versions.Chunk(ShardBatch))
            yield return [.. (await log.ReadVersionsAsync(stream, batch, ct)).Select(e => (ShardCompleted)e.Data)];
    }

    private static async IAsyncEnumerable<ShardCompleted> ShardsInOrderAsync(IDocumentStore store, EventLog log, string stream, List<long> versions,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (var shards in ShardBatchesAsync(log, stream, versions, ct))
            foreach (var shard in await RunRowsStore.WithRowsAsync(store, shards, ct)) yield return shard;
    }

    /// <summary>A run's recorded shards at <paramref name="versions"/> (<see cref="ShardVersionsAsync"/>), read a batch at a time: their statistics are some tens of kilobytes each.</summary>
    private static async IAsyncEnumerable<RecordedShard> RecordedShardsAsync(EventLog log, string stream, List<long> versions,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (var shards in ShardBatchesAsync(log, stream, versions, ct))
            foreach (var shard in shards) yield return RecordedShard.Of(shard);
    }

    private static async Task<IResult> Shards(string id, HttpContext http, IDocumentStore store, EventLog log, bool? statistics)
    {
        var refused = await RefusedAsync(id, http, store);
        if (refused is not null) return refused;
        var stream = RunEventTypes.StreamOf(id);
        var shards = RecordedShardsAsync(log, stream, await ShardVersionsAsync(log, stream, http.RequestAborted), http.RequestAborted);
        return TypedResults.Json(statistics == false ? WithoutStatistics(shards) : shards, JsonDefaults.Options);

        // Who computed what, without what: the counts stay, the data and the sums go.
        static async IAsyncEnumerable<RecordedShard> WithoutStatistics(IAsyncEnumerable<RecordedShard> shards)
        {
            await foreach (var s in shards)
                yield return s with { Statistics = s.Statistics is { } st ? st with { Data = [] } : null, SensitivitySums = null, SensitivityAlso = null, Sensitivity = null };
        }
    }

    private static async Task<IResult> Results(string id, HttpContext http, IDocumentStore store, EventLog log, string? format)
    {
        if (format is not (null or "json" or "csv")) return Problem.Invalid("format", "'format' is json or csv.").ToProblem();
        var (doc, outputs, _, allRows, refused) = await CompletedAsync(id, http, store, log);
        if (refused is not null) return refused;
        var (rows, gone) = await StartRowsAsync(id, http, store, allRows!);
        if (gone is not null) return gone;
        // Rows are produced as they are written (CSV row by row, JSON by the serializer's streaming of the sequence).
        http.Response.Headers["X-Dth-Request-Hash"] = doc!.RequestHash;
        http.Response.Headers["X-Dth-Model"] = $"{doc.ModelId}@{doc.ModelVersion}";
        http.Response.Headers.Link = $"</api/runs/{id}/ro-crate>; rel=\"describedby\"; type=\"application/zip\"";
        if (format == "csv" || (format is null && http.Request.Headers.Accept.ToString().Contains("text/csv", StringComparison.OrdinalIgnoreCase)))
            return TypedResults.Stream(async body =>
            {
                await using var writer = new StreamWriter(body, new UTF8Encoding(false), 64 * 1024);
                await RunExports.WriteSubjectsCsvAsync(writer, outputs, rows!, http.RequestAborted);
            }, "text/csv; charset=utf-8");
        return TypedResults.Json(new
        {
            provenance = RunExports.Provenance(doc),
            columns = RunExports.Columns(outputs),
            subjects = SubjectsJson(rows!),
            summary = doc.Summary,
            sensitivity = doc.Sensitivity,
            sensitivityAlso = doc.SensitivityAlso,
        }, JsonDefaults.Options);
    }

    /// <summary>
    /// The rows with their first shard batch read before the answer starts: rows released (by their owner, or the
    /// retention sweep) between the check and that read get the 410 a request a moment later gets, not a 500. Released
    /// once the answer has started, the download is cut off (the connection aborted, so the client sees a broken
    /// transfer, never a table that merely ends early), logged as what it is rather than as a server error. Rows missing
    /// without a release stay a server error.
    /// </summary>
    private static async Task<(IAsyncEnumerable<SubjectRow>? Rows, IResult? Gone)> StartRowsAsync(string id, HttpContext http, IDocumentStore store,
        IAsyncEnumerable<SubjectRow> rows)
    {
        var rest = rows.GetAsyncEnumerator(http.RequestAborted);
        bool any;
        try
        {
            any = await rest.MoveNextAsync();
        }
        catch (InvalidDataException)
        {
            await rest.DisposeAsync();
            if (await VisibleAsync(id, http, store) is ({ RowsReleased: { } released } now, null)) return (null, RowsReleased(now, released));
            throw;
        }
        return (Continue(id, http, store, rest, any), null);
    }

    private static async IAsyncEnumerable<SubjectRow> Continue(string id, HttpContext http, IDocumentStore store, IAsyncEnumerator<SubjectRow> rest, bool any)
    {
        await using (rest)
        {
            if (!any) yield break;
            yield return rest.Current;
            while (true)
            {
                bool next;
                try
                {
                    next = await rest.MoveNextAsync();
                }
                catch (InvalidDataException)
                {
                    if (await VisibleAsync(id, http, store) is not ({ RowsReleased: { } released }, null)) throw;
                    http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(RunEndpoints))
                        .LogInformation("Run {RunId}: its rows were released ({Reason}) during a download of its results; the download is cut off", id, released.Reason);
                    http.Abort();
                    throw new OperationCanceledException(http.RequestAborted);
                }
                if (!next) yield break;
                yield return rest.Current;
            }
        }
    }

    /// <param name="Failure">why the subject's solve failed (step-size-too-small, too-many-steps, non-finite, other; unknown for rows recorded before the reason was kept); absent when it completed.</param>
    private sealed record SubjectJson(long Subject, double?[] Values, [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] string? Failure);

    private static async IAsyncEnumerable<SubjectJson> SubjectsJson(IAsyncEnumerable<SubjectRow> rows)
    {
        await foreach (var (index, values, failure) in rows) yield return new SubjectJson(index, values, failure);
    }

    private static async Task<IResult> RoCrate(string id, HttpContext http, IDocumentStore store, EventLog log)
    {
        var (doc, outputs, versions, rows, refused) = await CompletedAsync(id, http, store, log, withoutRows: true);
        if (refused is not null) return refused;
        // Built in a temporary file (deleted when the response is done), not in memory: a large cohort's table of subjects
        // is hundreds of megabytes of text. Not straight to the response either: built whole first, a failure while
        // building it is an error answer rather than a truncated zip.
        var file = new FileStream(Path.Combine(Path.GetTempPath(), $"dth-ro-crate-{Guid.NewGuid():N}.zip"), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None,
            64 * 1024, FileOptions.DeleteOnClose | FileOptions.Asynchronous);
        try
        {
            await RunExports.WriteRoCrateAsync(file, doc!, rows is null ? null : w => RunExports.WriteSubjectsCsvAsync(w, outputs, rows, http.RequestAborted),
                RecordedShardsAsync(log, RunEventTypes.StreamOf(id), versions, http.RequestAborted), $"{http.Request.Scheme}://{http.Request.Host}");
            file.Position = 0;
            return TypedResults.File(file, "application/zip", $"run-{id}-ro-crate.zip");
        }
        catch (InvalidDataException) when (rows is not null)
        {
            await file.DisposeAsync();
            // The rows were released (by their owner, or the retention sweep) while the crate was being built: the answer
            // is the one a request a moment later gets, not a 500. Rows missing without a release stay a server error.
            if (await VisibleAsync(id, http, store) is ({ RowsReleased: { } released } now, null)) return RowsReleased(now, released);
            throw;
        }
        catch
        {
            await file.DisposeAsync();
            throw;
        }
    }
}
