using DthGrains.Contracts.Runs;
using DthGrains.Domain.Runs;

namespace DthGrains.Grains.Runs;

/// <summary>A run as lists and result pages see it (inline projection): status, progress, summary and bands, provenance.</summary>
public sealed class RunDocument
{
    public string Id { get; set; } = "";
    public string Owner { get; set; } = "";
    public string? OwnerInstitution { get; set; }
    public RunKind Kind { get; set; }
    public RunStatus Status { get; set; }
    public string? StatusReason { get; set; }
    public string ModelId { get; set; } = "";
    public string ModelVersion { get; set; } = "";
    public string EngineVersion { get; set; } = "";

    /// <summary>An external model's code digest (<see cref="Domain.Runs.RunSubmitted.ModelCodeDigest"/>); null for the engine's models.</summary>
    public string? ModelCodeDigest { get; set; }
    public string RequestHash { get; set; } = "";
    public ulong Seed { get; set; }
    public string? Purpose { get; set; }
    public RunSolverSettings? Solver { get; set; }
    public RunRequest? Request { get; set; }
    public RunDataset[] Datasets { get; set; } = [];
    public string[] Grants { get; set; } = [];
    public int ShardsTotal { get; set; }
    public int ShardsDone { get; set; }
    public int[] ShardsCompleted { get; set; } = [];
    public long SubjectsTotal { get; set; }
    public long SubjectsDone { get; set; }
    public long Failed { get; set; }

    /// <summary>Why the failed subjects failed, by reason (step-size-too-small, too-many-steps, non-finite, other); null while none has.</summary>
    public Dictionary<string, long>? FailedBy { get; set; }
    public RunSummary? Summary { get; set; }
    public SensitivityResult? Sensitivity { get; set; }

    /// <summary>The indices of a sensitivity study's further targets (its request's sensitivityAlso), in their order.</summary>
    public SensitivityResult[]? SensitivityAlso { get; set; }

    /// <summary>Where the shards were computed: institutions and role of the silos, shards and subjects each (null for runs completed before 2026-12-06).</summary>
    public ComputeSite[]? ComputedAt { get; set; }
    public string? ResultHash { get; set; }
    public long Version { get; set; }
    public DateTimeOffset SubmittedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public DateTimeOffset? CompletedAt { get; set; }

    /// <summary>Bytes of per-subject rows one subject of this run stores (0 for kinds without rows, and for runs recorded before this was kept).</summary>
    public long RowBytesPerSubject { get; set; }

    /// <summary>Bytes of per-subject rows this run keeps in <c>dth.run_rows</c> (0 once released): what counts against its owner's storage quota.</summary>
    public long RowBytes { get; set; }

    /// <summary>When the per-subject rows were released (deleted), by whom and why; null while they are kept.</summary>
    public RunRowsRelease? RowsReleased { get; set; }
}

public sealed record RunRowsRelease(string By, string Reason, DateTimeOffset At);
