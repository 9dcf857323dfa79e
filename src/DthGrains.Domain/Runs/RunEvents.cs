using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Serialization;
using DthGrains.Contracts.Runs;

namespace DthGrains.Domain.Runs;

/// <summary>A dataset a run uses: its id, the version used and the institution that owns it.</summary>
public sealed record RunDataset(string Id, string Version, string Institution);

/// <summary>
/// The submission, with the provenance every result of the run points at: model id and version, engine version,
/// solver settings, seed, canonical request hash, datasets (id and version) and the grants that permitted their use.
/// The request is stored normalised (defaults filled in), so replaying it gives the same plan.
/// </summary>
public sealed record RunSubmitted(
    string Id,
    string Owner,
    string OwnerName,
    string? OwnerInstitution,
    string[] OwnerRoles,
    RunKind Kind,
    RunRequest Request,
    string ModelId,
    string ModelVersion,
    string EngineVersion,
    string RequestHash,
    ulong Seed,
    RunSolverSettings Solver,
    RunDataset[] Datasets,
    string[] Grants,
    string? Purpose,
    int Shards,
    int ShardSize,
    long Subjects,
    double[] Times,
    string[] Outputs,
    DateTimeOffset SubmittedAt)
{
    /// <summary>
    /// For an external model (a code a silo runs as a process): the SHA-256 of its descriptor and code files on the silo
    /// that accepted the run, so a result says exactly which code computed it. Null for the engine's own models (their
    /// code is the engine version) and in runs submitted before 2026-12-07.
    /// </summary>
    public string? ModelCodeDigest { get; init; }
}

/// <summary>Shards are being handed to workers.</summary>
public sealed record RunStarted(string Id, DateTimeOffset StartedAt);

/// <summary>
/// A seeded cohort's distributions, fitted at the data holder's silos after the submission was recorded: the run's
/// request from here on is the submitted one with this seed (<see cref="RunState.Request"/>), and
/// <see cref="RequestHash"/> is that request's canonical hash, the one its results point at.
/// </summary>
public sealed record CohortSeeded(string Id, CohortSeed Seed, string RequestHash, DateTimeOffset SeededAt);

/// <summary>
/// One shard's result: partial statistics (mergeable, binary-encoded), one summary row per subject (per output: min,
/// mean, max, final; NaN where a solve failed), or the sensitivity indices. At most one per shard index.
/// <para>
/// Where the rows are: a shard recorded now carries <see cref="RowsDigest"/> (the SHA-256 of the rows' binary form)
/// and its rows are stored beside the stream, in the same transaction (<see cref="DetachedRows"/>, never serialised
/// with the event): the hash-chained event pins them by digest, and a million-subject run's stream is not 170 MB of
/// base64. Shards recorded before that carry the binary rows in <see cref="Rows"/> (with or without a digest), and
/// the oldest carry them as JSON numbers in <see cref="Subjects"/>. The result hash covers the rows through
/// <see cref="RowsSha256"/> whichever form they are in.
/// </para>
/// </summary>
public sealed record ShardCompleted(
    string Id,
    int Shard,
    long From,
    long To,
    ShardStatistics? Statistics,
    double?[]? Subjects,
    SensitivityResult? Sensitivity,
    string Silo,
    double ElapsedMs,
    DateTimeOffset CompletedAt,
    ShardRows? Rows = null,
    string? RowsDigest = null,
    SensitivitySums? SensitivitySums = null)
{
    /// <summary>
    /// The rows of a new shard, to be stored beside the stream (by the run rows store, in the appending transaction) and
    /// not in the event: JSON never sees them, so neither the stored body nor the ledger hash contains them.
    /// </summary>
    [JsonIgnore]
    public ShardRows? DetachedRows { get; init; }

    /// <summary>
    /// The role of the silo that computed the shard (hpc, data, ...), from its metadata: with <see cref="SiloInstitutions"/>,
    /// whose hardware made these numbers, which an address alone does not tell once the silo is gone. Null in shards
    /// recorded before 2026-12-06 and from silos without metadata.
    /// </summary>
    public string? SiloRole { get; init; }

    /// <summary>The institutions hosting that silo, from its metadata (null as <see cref="SiloRole"/>).</summary>
    public string[]? SiloInstitutions { get; init; }

    /// <summary>A sensitivity shard's sums of the study's further targets (<see cref="RunRequest.SensitivityAlso"/>), in their order; null when it has none.</summary>
    public SensitivitySums[]? SensitivityAlso { get; init; }

    /// <summary>The silo as people name it: its address, then its institutions and role where known.</summary>
    [JsonIgnore]
    public string SiloLabel => ShardSilo.Label(Silo, SiloRole, SiloInstitutions);

    /// <summary>The per-subject rows, flat (null where a solve failed), from whichever form the shard carries.</summary>
    public double?[] SubjectValues() => (Rows ?? DetachedRows)?.Values() ?? Subjects ?? [];

    /// <summary>
    /// Why each subject's solve failed, in subject order (null where it completed), from whichever form the shard carries;
    /// rows recorded as JSON numbers (before session 9) or before the reason was kept say "unknown".
    /// </summary>
    public string?[] SubjectFailures(int width)
    {
        if ((Rows ?? DetachedRows) is { } rows) return rows.Failures();
        var values = Subjects ?? [];
        var failures = new string?[width == 0 ? 0 : values.Length / width];
        for (int r = 0; r < failures.Length; r++) failures[r] = values[r * width] is null ? Simulation.Cohorts.SolveFailures.UnknownReason : null;
        return failures;
    }

    /// <summary>
    /// SHA-256 of the rows as the result hash takes them: <see cref="RowsDigest"/> when recorded, else computed from the
    /// binary rows, else from the JSON numbers of a shard recorded before the binary rows (as their text, as before).
    /// </summary>
    public byte[] RowsSha256()
    {
        if (RowsDigest is { } digest) return Convert.FromHexString(digest);
        if (Rows is { } rows) return SHA256.HashData(rows.Bytes());
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var row in Subjects ?? []) hash.AppendData(Encoding.UTF8.GetBytes((row?.ToString("R", CultureInfo.InvariantCulture) ?? "null") + ","));
        return hash.GetHashAndReset();
    }

    /// <summary>
    /// This shard as it is recorded: its binary rows moved from <see cref="Rows"/> to <see cref="DetachedRows"/>, and
    /// <see cref="RowsDigest"/> their SHA-256 (unchanged without binary rows).
    /// </summary>
    public ShardCompleted Detached() =>
        Rows is { } rows ? this with { Rows = null, DetachedRows = rows, RowsDigest = rows.Sha256Hex() } : this;

    /// <summary>This shard with the rows read back from beside the stream, if they are the ones its digest names.</summary>
    /// <exception cref="InvalidDataException">they are not: the stored rows were changed after they were recorded.</exception>
    public ShardCompleted WithStoredRows(ShardRows rows)
    {
        if (!string.Equals(rows.Sha256Hex(), RowsDigest, StringComparison.Ordinal))
            throw new InvalidDataException($"The stored rows of shard {Shard} of run '{Id}' do not match the digest recorded in its ledger event ({RowsDigest}); they were changed after they were recorded.");
        return this with { Rows = rows };
    }
}

/// <summary>A grant the run relies on no longer permits it: no shard is dispatched until a grant permits it again.</summary>
public sealed record RunSuspended(string Id, string Reason, string? Dataset, DateTimeOffset SuspendedAt);

public sealed record RunResumed(string Id, string[] Grants, DateTimeOffset ResumedAt);

public sealed record RunCancelled(string Id, string By, string Reason, DateTimeOffset CancelledAt);

public sealed record RunFailed(string Id, string Reason, DateTimeOffset FailedAt);

/// <summary>
/// The per-subject rows stored beside the stream were deleted, by the run's owner, a platform admin or the retention
/// policy (<c>By</c> = system), after the run ended. The summary statistics, the bands and the ledger's digests of
/// every shard's rows stay: the run reproduces its rows bit for bit from its request and seed, and the digests check them.
/// </summary>
/// <param name="Shards">shards whose rows were stored beside the stream (and are deleted with this event).</param>
public sealed record RunRowsReleased(string Id, string By, string Reason, int Shards, DateTimeOffset ReleasedAt);

/// <summary>The results and their provenance (the same fields as the submission, plus the grants used over the run).</summary>
public sealed record RunCompleted(
    string Id,
    string ModelId,
    string ModelVersion,
    string EngineVersion,
    string RequestHash,
    ulong Seed,
    RunSolverSettings Solver,
    RunDataset[] Datasets,
    string[] Grants,
    int Shards,
    long Subjects,
    long Failed,
    RunSummary? Summary,
    SensitivityResult? Sensitivity,
    string ResultHash,
    DateTimeOffset CompletedAt)
{
    /// <summary>
    /// The properties that hold the results themselves (up to a megabyte of bands and indices), which readers of the
    /// run's history that need only its provenance (followers, the lineage) leave in the store.
    /// </summary>
    public static readonly IReadOnlyList<string> ResultProperties = [nameof(Summary), nameof(Sensitivity), nameof(SensitivityAlso)];

    /// <summary>The indices of a sensitivity study's further targets (<see cref="RunRequest.SensitivityAlso"/>), in their order; null when it has none.</summary>
    public SensitivityResult[]? SensitivityAlso { get; init; }

    /// <summary>
    /// Where the shards were computed: per institutions and role of the computing silos, how many shards and subjects
    /// (from the shards' <see cref="ShardCompleted.SiloInstitutions"/> and <see cref="ShardCompleted.SiloRole"/>); null
    /// when no shard named its silo's (runs completed before 2026-12-06).
    /// </summary>
    public ComputeSite[]? ComputedAt { get; init; }
}

/// <summary>Institutions whose silos, of one role, computed shards of a run; a silo without metadata has none and no role.</summary>
public sealed record ComputeSite(string[] Institutions, string? Role, int Shards, long Subjects)
{
    /// <summary>Per institutions and role, in order of the first shard each computed.</summary>
    public static ComputeSite[]? Of(IEnumerable<ShardCompleted> inShardOrder)
    {
        var shards = inShardOrder.ToList();
        if (!shards.Any(s => s.SiloRole is not null || s.SiloInstitutions is not null)) return null;
        return [.. shards.GroupBy(s => (Institutions: string.Join(',', s.SiloInstitutions ?? []), s.SiloRole))
            .Select(g => new ComputeSite(g.First().SiloInstitutions ?? [], g.Key.SiloRole, g.Count(), g.Sum(s => s.To - s.From)))];
    }

    /// <summary>"bsc (hpc): 8 shards, 5,000 subjects".</summary>
    public override string ToString() =>
        $"{(Institutions.Length == 0 ? "silos without metadata" : string.Join(", ", Institutions))}{(Role is null ? "" : $" ({Role})")}: " +
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Shards} {(Shards == 1 ? "shard" : "shards")}, {Subjects:N0} {(Subjects == 1 ? "subject" : "subjects")}");
}

public static class RunEventTypes
{
    public static readonly IReadOnlyDictionary<Type, string> Names = new Dictionary<Type, string>
    {
        [typeof(RunSubmitted)] = "runs.run_submitted",
        [typeof(RunStarted)] = "runs.run_started",
        [typeof(CohortSeeded)] = "runs.cohort_seeded",
        [typeof(ShardCompleted)] = "runs.shard_completed",
        [typeof(RunSuspended)] = "runs.run_suspended",
        [typeof(RunResumed)] = "runs.run_resumed",
        [typeof(RunCancelled)] = "runs.run_cancelled",
        [typeof(RunFailed)] = "runs.run_failed",
        [typeof(RunCompleted)] = "runs.run_completed",
        [typeof(RunRowsReleased)] = "runs.rows_released",
    };

    public const string StreamPrefix = "run:";

    public static string StreamOf(string runId) => $"{StreamPrefix}{runId}";
}
