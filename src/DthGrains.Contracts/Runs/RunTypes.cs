namespace DthGrains.Contracts.Runs;

/// <summary>What a run computes over its subjects.</summary>
public enum RunKind
{
    /// <summary>One parameter set under one scenario.</summary>
    Single,

    /// <summary>One parameter set under several named scenarios.</summary>
    ScenarioSet,

    /// <summary>A full grid (pointsPerAxis) or a Latin hypercube (size) over parameter ranges.</summary>
    Sweep,

    /// <summary>Parameter uncertainty: named parameters drawn lognormal around their values with a CV.</summary>
    MonteCarlo,

    /// <summary>A virtual cohort: every parameter with an inter-individual distribution varies.</summary>
    CohortTrial,

    /// <summary>First-order and total Sobol indices of the mean of the first output.</summary>
    Sensitivity,
}

public enum RunStatus
{
    Submitted,
    Running,
    Suspended,
    Cancelled,
    Failed,
    Completed,
}

/// <summary>Solver settings of a run; absent values take the engine's defaults.</summary>
[GenerateSerializer, Immutable, Alias("dth.runs.solver")]
public sealed record RunSolverSettings(
    [property: Id(0)] string? Method = null,
    [property: Id(1)] double? RelativeTolerance = null,
    [property: Id(2)] double? AbsoluteTolerance = null,
    [property: Id(3)] double? MaxStep = null,
    [property: Id(4)] int? MaxSteps = null);

/// <summary>A parameter range of a sweep or a sensitivity study (uniform between the bounds).</summary>
[GenerateSerializer, Immutable, Alias("dth.runs.range")]
public sealed record ParameterRange(
    [property: Id(0)] string Parameter,
    [property: Id(1)] double Lower,
    [property: Id(2)] double Upper);

/// <summary>An uncertain parameter: lognormal with the parameter's value as median and this coefficient of variation.</summary>
[GenerateSerializer, Immutable, Alias("dth.runs.uncertainty")]
public sealed record ParameterUncertainty(
    [property: Id(0)] string Parameter,
    [property: Id(1)] double Cv);

/// <summary>
/// A run request: the model (id and version), the scenario (named, or an inline what-if plan for glucose models) (and its duration, in the model's time unit), the solver
/// settings, the size, the seed and the datasets it uses, with the purpose of the use. Everything that determines the
/// results is in here; its canonical hash names them.
/// </summary>
[GenerateSerializer, Immutable, Alias("dth.runs.request")]
public sealed record RunRequest(
    [property: Id(0)] RunKind Kind,
    [property: Id(1)] string Model,
    [property: Id(2)] string? ModelVersion = null,
    [property: Id(3)] string? Scenario = null,
    [property: Id(4)] string[]? Scenarios = null,
    [property: Id(5)] double? Duration = null,
    [property: Id(6)] double? OutputStep = null,
    [property: Id(7)] RunSolverSettings? Solver = null,
    [property: Id(8)] int? Size = null,
    [property: Id(9)] ulong Seed = 0,
    [property: Id(10)] string[]? Datasets = null,
    [property: Id(11)] string? Purpose = null,
    [property: Id(12)] IReadOnlyDictionary<string, double>? Parameters = null,
    [property: Id(13)] ParameterRange[]? Ranges = null,
    [property: Id(14)] int? PointsPerAxis = null,
    [property: Id(15)] ParameterUncertainty[]? Uncertain = null,
    [property: Id(16)] int? ShardSize = null,
    [property: Id(17)] double[]? Percentiles = null,
    [property: Id(18)] RunWhatIfPlan? Plan = null,
    [property: Id(19)] CohortSeed? CohortFrom = null,
    [property: Id(20)] SensitivityTarget? SensitivityOf = null,
    [property: Id(21)] SensitivityTarget[]? SensitivityAlso = null);

/// <summary>
/// What a sensitivity study analyses: one output of the model, reduced over the output grid by a statistic (mean,
/// final, min, max, or auc: the trapezoidal area under the curve, in the output's unit × the model's time unit).
/// Absent values take the model's first output and its mean. A study analyses further targets from the same
/// evaluations when the request names them in <c>SensitivityAlso</c> (each solve gives every output): no more model
/// evaluations, one set of indices per target.
/// </summary>
[GenerateSerializer, Immutable, Alias("dth.runs.sensitivity-target")]
public sealed record SensitivityTarget(
    [property: Id(0)] string? Output = null,
    [property: Id(1)] string? Statistic = null);

/// <summary>
/// A cohort trial seeded from a dataset's subjects. The client names only <see cref="Dataset"/>; at submission the
/// platform fills in the rest on the owning institution's silos: the dataset version read, how many subjects were used
/// and left out, the method, and per seeded parameter a log-normal (median, CV) fitted to the subjects. Only these
/// aggregates leave the institution; the run's workers draw from them and never touch the data.
/// </summary>
[GenerateSerializer, Immutable, Alias("dth.runs.cohort-seed")]
public sealed record CohortSeed(
    [property: Id(0)] string Dataset,
    [property: Id(1)] string? DatasetVersion = null,
    [property: Id(2)] int? Subjects = null,
    [property: Id(3)] int? Excluded = null,
    [property: Id(4)] string? Method = null,
    [property: Id(5)] SeedDistribution[]? Parameters = null);

/// <summary>A seeded parameter's inter-individual distribution: log-normal with this median and coefficient of variation.</summary>
[GenerateSerializer, Immutable, Alias("dth.runs.seed-distribution")]
public sealed record SeedDistribution(
    [property: Id(0)] string Parameter,
    [property: Id(1)] double Median,
    [property: Id(2)] double Cv);

/// <summary>A meal of an inline what-if plan: minutes from the start, carbohydrate (g), optional bolus (U).</summary>
[GenerateSerializer, Immutable, Alias("dth.runs.plan-meal")]
public sealed record RunPlanMeal(
    [property: Id(0)] double AtMinute,
    [property: Id(1)] double Carbohydrate,
    [property: Id(2)] double? BolusUnits = null);

/// <summary>
/// An inline what-if plan for glucose models, in place of a named scenario: hours simulated, basal rate (U/h) from the
/// start, meals with their boluses. It becomes the run's scenario and is part of the request hash.
/// </summary>
[GenerateSerializer, Immutable, Alias("dth.runs.plan")]
public sealed record RunWhatIfPlan(
    [property: Id(0)] double Hours,
    [property: Id(1)] double BasalUnitsPerHour,
    [property: Id(2)] RunPlanMeal[]? Meals = null,
    [property: Id(3)] string? Name = null);

/// <summary>A run as its owner sees it: status and progress. Results are in the read model (GET /api/runs/{id}).</summary>
[GenerateSerializer, Immutable, Alias("dth.runs.view")]
public sealed record RunView(
    [property: Id(0)] string Id,
    [property: Id(1)] string Owner,
    [property: Id(2)] RunKind Kind,
    [property: Id(3)] RunStatus Status,
    [property: Id(4)] string? StatusReason,
    [property: Id(5)] int ShardsTotal,
    [property: Id(6)] int ShardsDone,
    [property: Id(7)] long SubjectsTotal,
    [property: Id(8)] long SubjectsDone,
    [property: Id(9)] string RequestHash,
    [property: Id(10)] long Version,
    [property: Id(11)] DateTimeOffset SubmittedAt,
    [property: Id(12)] DateTimeOffset UpdatedAt);

/// <summary>One shard handed to a worker: subjects [From, To) of the run's request.</summary>
[GenerateSerializer, Immutable, Alias("dth.runs.shard-work")]
public sealed record ShardWork(
    [property: Id(0)] string RunId,
    [property: Id(1)] int Shard,
    [property: Id(2)] long From,
    [property: Id(3)] long To,
    [property: Id(4)] RunRequest Request,
    [property: Id(5)] string? Owner = null)
{
    /// <summary>
    /// The canonical hash of <see cref="Request"/> as the run planned it: the worker of a shard (one per run and shard
    /// index) is asked again for the same work, and must tell that from the work of another request under the same run
    /// id (a submission that was refused after its first shards started).
    /// </summary>
    [Id(6)] public string? RequestHash { get; init; }
}

/// <summary>
/// A worker's answer, or the error: the shard's output as a JSON document (<see cref="Payload"/>) whose binary parts, the
/// encoded statistics and the per-subject rows (some 32 KB each for 250 subjects), travel beside it as they are
/// (<see cref="Statistics"/>, <see cref="Rows"/>): no base64 on the way, and no message-sized array on the large-object heap.
/// </summary>
[GenerateSerializer, Immutable, Alias("dth.runs.shard-result")]
public sealed record ShardResult(
    [property: Id(0)] string RunId,
    [property: Id(1)] int Shard,
    [property: Id(2)] byte[]? Payload,
    [property: Id(3)] string Silo,
    [property: Id(4)] double ElapsedMs,
    [property: Id(5)] string? Error = null,
    [property: Id(6)] byte[]? Statistics = null,
    [property: Id(7)] byte[]? Rows = null)
{
    /// <summary>The role of the silo that ran the shard (its metadata: hpc, data, ...); null from silos without one.</summary>
    [Id(8)] public string? SiloRole { get; init; }

    /// <summary>The institutions hosting that silo (its metadata); null from silos without any.</summary>
    [Id(9)] public string[]? SiloInstitutions { get; init; }

    /// <summary>The <see cref="ShardWork.RequestHash"/> of the work this answers: the run counts only results of its own request.</summary>
    [Id(10)] public string? RequestHash { get; init; }
}

/// <summary>
/// Ephemeral progress for followers: not stored, coalesced per follower. <see cref="Bands"/> are coarse partial
/// percentile bands over the shards completed so far (one per output, at the last time point); null before the first shard.
/// </summary>
[GenerateSerializer, Immutable, Alias("dth.runs.progress")]
public sealed record RunProgress(
    [property: Id(0)] string RunId,
    [property: Id(1)] RunStatus Status,
    [property: Id(2)] int ShardsDone,
    [property: Id(3)] int ShardsTotal,
    [property: Id(4)] long SubjectsDone,
    [property: Id(5)] long SubjectsTotal,
    [property: Id(6)] long Version,
    [property: Id(7)] RunProgressBand[]? Bands = null);

/// <summary>A partial band of one output at one time point: the 5th, 50th and 95th percentiles over the subjects of the completed shards (null where undefined).</summary>
[GenerateSerializer, Immutable, Alias("dth.runs.progress-band")]
public sealed record RunProgressBand(
    [property: Id(0)] string Output,
    [property: Id(1)] double Time,
    [property: Id(2)] long Subjects,
    [property: Id(3)] double? P5,
    [property: Id(4)] double? P50,
    [property: Id(5)] double? P95);

/// <summary>A durable event of a run's stream, as followers see it: its version (the SSE id), type and a compact JSON body.</summary>
[GenerateSerializer, Immutable, Alias("dth.runs.stream-event")]
public sealed record RunStreamEvent(
    [property: Id(0)] string RunId,
    [property: Id(1)] long Version,
    [property: Id(2)] string Type,
    [property: Id(3)] string Json);
