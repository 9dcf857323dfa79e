using System.Globalization;
using DthGrains.Contracts.Governance;
using DthGrains.Contracts.Platform;
using DthGrains.Contracts.Runs;
using DthGrains.Domain.Governance;
using DthGrains.Domain.Platform;
using DthGrains.Simulation.Models;
using DthGrains.Simulation.Reproducibility;
using DthGrains.Simulation.Scenarios;
using DthGrains.Simulation.Solvers;
using DthGrains.Simulation.Statistics;

namespace DthGrains.Domain.Runs;

/// <summary>Validates and normalises run requests, hashes them canonically (RunPlanner.Hash), and executes shards with the engine (RunPlanner.Execution).</summary>
public static partial class RunPlanner
{
    /// <summary>The engine that computes results: named in every run's provenance.</summary>
    public static readonly string EngineVersion = Simulation.Engine.EngineIdentity.Current;

    public const string HashSchema = "dth.runs.request/2";
    public const int MaxSubjects = 1_000_000;
    public const int MaxShards = 10_000;
    public const int MaxTimes = 2_000;

    /// <summary>The longest simulated period, in the model's time unit (19 years of minutes).</summary>
    public const double MaxDuration = 1e7;

    /// <summary>Statistics cells (shards × output times × outputs) a run may record: about 800 MB in the ledger at most.</summary>
    public const long MaxStatisticsCells = 10_000_000;
    /// <summary>Relative accuracy of the percentile bands (the quantile histograms of every shard).</summary>
    public const double BandAccuracy = LogHistogram.DefaultRelativeAccuracy;
    public static readonly double[] DefaultPercentiles = [5, 25, 50, 75, 95];

    public static (RunPlan? Plan, Problem? Problem) Plan(RunRequest r)
    {
        var errors = new FieldErrors();
        SimulationModel? model = null;
        try
        {
            if (string.IsNullOrWhiteSpace(r.Model)) errors.Add("model", "'model' is required (hovorka, bergman, windkessel, pkpd or a model id).");
            else model = ModelLibrary.Get(r.Model, r.ModelVersion);
        }
        catch (ArgumentException e)
        {
            errors.Add("model", e.Message);
        }
        if (!Enum.IsDefined(r.Kind)) errors.Add("kind", "'kind' is single, scenario-set, sweep, monte-carlo, cohort-trial or sensitivity.");
        var datasets = r.Datasets ?? [];
        // The seed's dataset is one of the run's datasets (added when not named), so the policy check for 'simulate' covers it.
        if (r.CohortFrom is { Dataset: { } seedData } && Ids.IsValid(seedData) && !datasets.Contains(seedData)) datasets = [.. datasets, seedData];
        errors.Require(datasets.Length <= 20, "datasets", "Name at most 20 datasets.")
              .Require(datasets.All(Ids.IsValid), "datasets", $"Each dataset is an id ({Ids.Rule}).")
              .Require(datasets.Distinct().Count() == datasets.Length, "datasets", "Name each dataset once.");
        if (datasets.Length > 0 && !AccessPolicy.TryParse<EhdsPurpose>(r.Purpose, out _))
            errors.Add("purpose", "A run on datasets states its purpose, one of: " + string.Join(", ", Enum.GetValues<EhdsPurpose>().Select(AccessPolicy.Kebab)) + ".");
        if (model is null) return (null, errors.ToProblem());
        if (r.CohortFrom is { } seed) CohortSeeding.Check(seed, r.Kind, model.Info, errors);

        var info = model.Info;
        double[] baseParameters = model.DefaultParameters();
        foreach (var (name, value) in r.Parameters ?? new Dictionary<string, double>())
        {
            if (!info.Parameters.Any(p => p.Name == name)) errors.Add("parameters", UnknownParameter(info, name));
            else if (!double.IsFinite(value)) errors.Add("parameters", $"'{name}' must be a finite number.");
            else if (OutsideSign(info, name, value) is { } wrongSign) errors.Add("parameters", wrongSign);
            else baseParameters[info.ParameterIndex(name)] = value;
        }

        // Scenarios and the time grid.
        var scenarioNames = r.Kind == RunKind.ScenarioSet ? (r.Scenarios ?? []) : [r.Scenario ?? "reference"];
        if (r.Kind == RunKind.ScenarioSet && scenarioNames.Length is 0 or > 50) errors.Add("scenarios", "A scenario set names 1 to 50 scenarios.");
        var scenarios = new List<Scenario>();
        RunWhatIfPlan? plan = null;
        if (r.Plan is not null && r.Kind == RunKind.ScenarioSet) errors.Add("plan", "A scenario set names its scenarios; 'plan' is for the other kinds.");
        else if (r.Plan is not null && r.Scenario is not null) errors.Add("plan", "Give either 'scenario' (by name) or 'plan' (inline), not both.");
        else if (r.Plan is not null)
        {
            if (PlanScenario(r.Plan, info, errors) is { } planned)
            {
                plan = planned.Plan;
                scenarios.Add(planned.Scenario);
            }
        }
        else
        {
            foreach (var name in scenarioNames)
            {
                if (model.FindScenario(name) is { } s) scenarios.Add(s);
                else errors.Add(r.Kind == RunKind.ScenarioSet ? "scenarios" : "scenario", $"Unknown scenario '{name}' for model '{info.Id}'. Known: {string.Join(", ", model.NamedScenarios.Select(x => x.Name))}.");
            }
        }
        double referenceDuration = scenarios.Count > 0 ? scenarios.Max(s => s.TimeUnit.ConvertTo(s.Duration, info.TimeUnit)) : 1;
        double duration = r.Duration ?? referenceDuration;
        bool durationValid = duration is > 0 and <= MaxDuration;
        if (!durationValid) errors.Add("duration", $"'duration' is the simulated period in {info.TimeUnit.Symbol}, greater than 0 and at most {MaxDuration:0,0}.");
        double step = r.OutputStep ?? (durationValid ? DefaultStep(info, duration) : 1);
        // The grid is only framed over a valid period (a negative one made the output grid throw: a 500 for a caller's mistake).
        bool stepValid = step is > 0 and < double.PositiveInfinity;
        var gridFits = durationValid && stepValid && duration / step <= MaxTimes;
        if (!stepValid || (durationValid && !gridFits)) errors.Add("outputStep", $"'outputStep' is greater than 0 and gives at most {MaxTimes} output times.");
        // A shorter period keeps the events inside it.
        scenarios = scenarios.Select(s =>
        {
            var d = info.TimeUnit.ConvertTo(duration, s.TimeUnit);
            return s with { Duration = d, Events = s.Events.Where(e => e.Time <= d).ToArray() };
        }).ToList();
        // Over a period that is already refused a scenario would only repeat the duration's error.
        foreach (var s in durationValid ? scenarios : [])
        {
            try { CompiledScenario.Compile(info, s); }
            catch (ArgumentException e) { errors.Add("scenario", e.Message); }
        }

        // Solver.
        var settings = r.Solver ?? new RunSolverSettings();
        SolverKind kind = SolverKind.Auto;
        if (settings.Method is { } method && !TryMethod(method, out kind)) errors.Add("solver.method", "'solver.method' is auto, dormand-prince45 or rodas4.");
        var solver = new SolverOptions(kind, settings.RelativeTolerance ?? 1e-6, settings.AbsoluteTolerance ?? 1e-9, settings.MaxStep ?? double.PositiveInfinity, settings.MaxSteps ?? 1_000_000);
        try { solver.Validate(); }
        catch (ArgumentOutOfRangeException e) { errors.Add("solver", e.Message.Split(Environment.NewLine)[0]); }
        // The request is recorded as JSON, which has no infinity (an infinite tolerance passed the solver's checks and
        // failed the append: a 500 for a caller's mistake).
        if (new[] { settings.RelativeTolerance, settings.AbsoluteTolerance, settings.MaxStep }.Any(v => v is { } x && !double.IsFinite(x)))
            errors.Add("solver", "'solver' tolerances and 'maxStep' are finite numbers; leave 'maxStep' out for no limit.");

        // Size per kind.
        long subjects = 1;
        int? size = r.Size;
        switch (r.Kind)
        {
            case RunKind.Single:
                errors.Require(size is null or 1, "size", "A single run has size 1.");
                size = 1;
                break;
            case RunKind.ScenarioSet:
                subjects = scenarioNames.Length;
                size = scenarioNames.Length;
                break;
            case RunKind.Sweep:
                CheckRanges(r.Ranges, info, errors);
                if (r.PointsPerAxis is { } points)
                {
                    double total = Math.Pow(points, r.Ranges?.Length ?? 0);
                    errors.Require(points is >= 1 and <= 1000 && total <= MaxSubjects, "pointsPerAxis", $"'pointsPerAxis' gives a grid of at most {MaxSubjects} points.");
                    subjects = (long)Math.Min(total, MaxSubjects);
                    size = null;
                }
                else
                {
                    errors.Require(size is >= 1 and <= MaxSubjects, "size", $"A Latin hypercube sweep has a size of 1 to {MaxSubjects} (or give pointsPerAxis for a grid).");
                    subjects = size ?? 1;
                }
                break;
            case RunKind.MonteCarlo:
                CheckUncertain(r.Uncertain, info, errors);
                errors.Require(size is >= 1 and <= MaxSubjects, "size", $"'size' is the number of draws, 1 to {MaxSubjects}.");
                subjects = size ?? 1;
                break;
            case RunKind.CohortTrial:
                errors.Require(size is >= 1 and <= MaxSubjects, "size", $"'size' is the number of virtual patients, 1 to {MaxSubjects}.");
                errors.Require(info.Parameters.Any(p => p.Variability is not null), "model", $"Model '{info.Id}' has no inter-individual distributions.");
                subjects = size ?? 1;
                break;
            case RunKind.Sensitivity:
                if (r.Uncertain is { Length: > 0 }) CheckUncertain(r.Uncertain, info, errors);
                else CheckRanges(r.Ranges, info, errors);
                CheckSensitivityTarget(r.SensitivityOf, "sensitivityOf", info, errors);
                CheckSensitivityAlso(r, info, errors);
                errors.Require(size is >= 2 and <= 100_000, "size", "'size' is the number of Sobol base samples, 2 to 100000.");
                subjects = (long)(size ?? 2) * (InputsOf(r).Length + 2);
                break;
        }

        if (r.Kind != RunKind.Sensitivity && r.SensitivityOf is not null)
            errors.Add("sensitivityOf", "'sensitivityOf' names what a sensitivity study analyses; leave it out for a " + AccessPolicy.Kebab(r.Kind) + " run.");
        if (r.Kind != RunKind.Sensitivity && r.SensitivityAlso is not null)
            errors.Add("sensitivityAlso", "'sensitivityAlso' names what else a sensitivity study analyses; leave it out for a " + AccessPolicy.Kebab(r.Kind) + " run.");
        CheckFixedParameters(r, info, errors);

        var percentiles = r.Percentiles ?? DefaultPercentiles;
        errors.Require(percentiles.Length is >= 1 and <= 20 && percentiles.All(p => p is > 0 and < 100), "percentiles", "'percentiles' are 1 to 20 numbers between 0 and 100.");
        // The output grid's size, for the statistics budget (a grid that does not fit stops below before it is used).
        var times = gridFits ? new OutputGrid(0, duration, step).Times() : [];
        long cells = Math.Max(1L, (long)times.Length * info.Outputs.Count);
        // A sensitivity shard is whole base samples, d + 2 evaluations each (its 'subjects').
        int sampleWidth = r.Kind == RunKind.Sensitivity ? InputsOf(r).Length + 2 : 1;
        var defaultSize = model is Simulation.Models.External.ExternalModel external ? ExternalShardSize(subjects, cells, external.BatchSize) : DefaultShardSize(subjects, cells);
        int shardSize = r.ShardSize ?? (int)Math.Min(int.MaxValue, (defaultSize + sampleWidth - 1) / sampleWidth * sampleWidth);
        if (r.ShardSize is { } perShard && perShard % sampleWidth != 0)
            errors.Add("shardSize", $"A sensitivity study over {sampleWidth - 2} inputs evaluates each base sample {sampleWidth} times, in one shard: 'shardSize' (evaluations) is a multiple of {sampleWidth}, or leave it out.");
        errors.Require(shardSize >= 1 && (subjects + shardSize - 1) / shardSize <= MaxShards, "shardSize", $"'shardSize' is at least 1 and gives at most {MaxShards} shards.");
        if (errors.ToProblem() is { } invalid) return (null, invalid);

        // Each shard records statistics for every output at every time point (about 80 bytes a cell) in the ledger, so
        // tiny shards on a fine grid would write far more than the subjects themselves: a run stays within a budget of
        // cells (the default shard size keeps to it), and a shard size that does not is refused, saying which fits.
        if (r.Kind != RunKind.Sensitivity && r.ShardSize is { } asked && SmallestShardSize(subjects, cells) is var fits && asked < fits)
            return (null, Problem.Invalid("shardSize", string.Create(CultureInfo.InvariantCulture,
                $"Shards of {asked} subjects record {(subjects + asked - 1) / asked:N0} × {cells:N0} statistics cells (output times × outputs), more than the {MaxStatisticsCells:N0} a run may: use a shardSize of at least {fits:N0}, a coarser outputStep, or leave shardSize out.")));

        var normalised = r with
        {
            Model = info.Id, ModelVersion = info.Version, Scenario = r.Kind == RunKind.ScenarioSet || plan is not null ? null : scenarioNames[0], Plan = plan,
            Scenarios = r.Kind == RunKind.ScenarioSet ? scenarioNames : null, Duration = duration, OutputStep = step,
            Solver = new RunSolverSettings(AccessPolicy.Kebab(kind), solver.RelativeTolerance, solver.AbsoluteTolerance, settings.MaxStep, solver.MaxSteps),
            Size = size, Datasets = datasets, Percentiles = percentiles, ShardSize = shardSize,
            CohortFrom = r.CohortFrom is { } named ? CohortSeeding.Normalise(named) : null,
            SensitivityOf = r.Kind == RunKind.Sensitivity ? Normalised(r.SensitivityOf, info) : null,
            SensitivityAlso = r.Kind == RunKind.Sensitivity && r.SensitivityAlso is { Length: > 0 } also ? [.. also.Select(t => Normalised(t, info))] : null,
        };
        int shards = (int)((subjects + shardSize - 1) / shardSize);
        var hash = Hash(normalised, info, scenarios[0], solver, new OutputGrid(0, duration, step));
        return (new RunPlan(normalised, model, scenarios[0], scenarios, solver, times, subjects, shardSize, shards, hash), null);
    }

    public const int MaxPlanMeals = 200;
    public const double MaxPlanHours = 14 * 24;

    /// <summary>
    /// An inline what-if plan, checked field by field and normalised (name and boluses filled in), and its scenario built
    /// as twins build theirs (<see cref="GlucosePlans"/>); a model without meal and insulin inputs cannot take one.
    /// </summary>
    private static (RunWhatIfPlan Plan, Scenario Scenario)? PlanScenario(RunWhatIfPlan p, ModelInfo info, FieldErrors errors)
    {
        var meals = p.Meals ?? [];
        errors.Require(double.IsFinite(p.Hours) && p.Hours > 0 && p.Hours <= MaxPlanHours, "plan.hours", $"'plan.hours' is the simulated period in hours, greater than 0 and at most {MaxPlanHours}.")
              .Require(double.IsFinite(p.BasalUnitsPerHour) && p.BasalUnitsPerHour is >= 0 and <= 20, "plan.basalUnitsPerHour", "'plan.basalUnitsPerHour' is 0 to 20 U/h.")
              .Require(meals.Length <= MaxPlanMeals, "plan.meals", $"A plan has at most {MaxPlanMeals} meals.")
              .Require(p.Name is null || (p.Name.Length is >= 1 and <= 200 && !p.Name.Any(char.IsControl)), "plan.name", "'plan.name' is 1 to 200 printable characters.");
        for (int i = 0; i < meals.Length; i++)
        {
            var m = meals[i];
            errors.Require(m is not null && double.IsFinite(m.AtMinute) && m.AtMinute >= 0 && m.AtMinute <= p.Hours * 60, $"plan.meals[{i}].atMinute", "'atMinute' is within the plan (0 to hours × 60).")
                  .Require(m is not null && double.IsFinite(m.Carbohydrate) && m.Carbohydrate is >= 0 and <= 300, $"plan.meals[{i}].carbohydrate", "'carbohydrate' is 0 to 300 g.")
                  .Require(m is null || m.BolusUnits is null || (double.IsFinite(m.BolusUnits.Value) && m.BolusUnits.Value is >= 0 and <= 50), $"plan.meals[{i}].bolusUnits", "'bolusUnits' is 0 to 50 U.");
        }
        if (errors.ToProblem() is not null) return null;
        var normalised = p with { Name = p.Name ?? "what-if", Meals = meals.Select(m => m with { BolusUnits = m.BolusUnits ?? 0 }).ToArray() };
        var scenario = GlucosePlans.Build(normalised.Name!, p.Hours, normalised.Meals!.Select(m => new GlucosePlanMeal(m.AtMinute, m.Carbohydrate, m.BolusUnits!.Value)), p.BasalUnitsPerHour);
        try
        {
            CompiledScenario.Compile(info, scenario);
        }
        catch (ArgumentException e)
        {
            errors.Add("plan", $"Model '{info.Id}' takes no what-if plan (meals, boluses and basal insulin are for glucose models such as hovorka): {e.Message}");
            return null;
        }
        return (normalised, scenario);
    }

    /// <summary>
    /// Batches big enough that a shard's fixed cost (its message, its hashed event of statistics and rows, its append)
    /// stays small next to its numerics: about 8 shards, of at least 250 subjects (a smaller run has fewer shards) and
    /// at most 2000. Measured by hand with the runs benchmark and an explicit shardSize (1,000 Hovorka patient-days, 2 cores): 8 shards of 125 took 88 ms,
    /// 4 of 250 took 70 ms, 2 of 500 74 ms.
    /// </summary>
    /// <remarks>Larger where <paramref name="cells"/> (output times × outputs) would otherwise exceed <see cref="MaxStatisticsCells"/> over the run.</remarks>
    public static int DefaultShardSize(long subjects, long cells) =>
        (int)Math.Max(Math.Clamp((subjects + 7) / 8, Math.Min(MinDefaultShard, Math.Max(1, subjects)), 2000), SmallestShardSize(subjects, cells));

    /// <summary>
    /// Shards of an external model: a process per subject costs far more than a shard's messages and event, so shards are
    /// small (about 64 a run, from one subject each): they spread over every worker slot of the silos that have the code,
    /// a lost one costs little to redo, and progress moves shard by shard. A code that takes subjects in batches gets
    /// shards of whole batches (<paramref name="batchSize"/>), so no process is cut short by a shard's end.
    /// </summary>
    public static int ExternalShardSize(long subjects, long cells, int batchSize = 1)
    {
        long size = Math.Max(Math.Clamp((subjects + 63) / 64, 1, 2000), SmallestShardSize(subjects, cells));
        if (batchSize > 1) size = (size + batchSize - 1) / batchSize * batchSize;
        return (int)Math.Min(size, Math.Max(1, subjects));
    }

    /// <summary>The smallest shard size whose shards' statistics stay within <see cref="MaxStatisticsCells"/>.</summary>
    public static long SmallestShardSize(long subjects, long cells)
    {
        long shards = Math.Max(1, MaxStatisticsCells / Math.Max(1, cells));
        return Math.Max(1, (subjects + shards - 1) / shards);
    }

    private const int MinDefaultShard = 250;

    /// <summary>The unit's usual step, or 1,000 outputs over a period too long for it (the reference windkessel beats
    /// lasted longer than 2,000 steps of 10 ms, so that model's default run was refused).</summary>
    public static double DefaultStep(ModelInfo info, double duration)
    {
        double usual = info.TimeUnit.Symbol switch
        {
            "min" => duration > 600 ? 15 : 5,
            "h" => 1,
            "s" => 0.01,
            _ => duration / 100,
        };
        return duration / usual <= MaxTimes ? usual : duration / (MaxTimes / 2);
    }

    /// <summary>Kebab names of the solver kinds: auto, dormand-prince45, rodas4.</summary>
    private static bool TryMethod(string name, out SolverKind kind) => AccessPolicy.TryParse(name, out kind);

    /// <summary>
    /// A value in 'parameters' that the run would replace for every subject is refused rather than silently ignored: a
    /// cohort trial draws every parameter with an inter-individual distribution, a sweep or a sensitivity study over
    /// ranges draws the ranged ones. (A Monte-Carlo or a sensitivity study over uncertain parameters takes the value as
    /// the median of its draws: that is what it is for.)
    /// </summary>
    private static void CheckFixedParameters(RunRequest r, ModelInfo info, FieldErrors errors)
    {
        foreach (var name in (r.Parameters ?? new Dictionary<string, double>()).Keys.Where(n => info.Parameters.Any(p => p.Name == n)))
        {
            if (r.Kind == RunKind.CohortTrial && info.Parameters[info.ParameterIndex(name)].Variability is not null)
            {
                var fixable = info.Parameters.Where(p => p.Variability is null).Select(p => p.Name).ToList();
                errors.Add("parameters", $"'{name}' varies across a virtual cohort (each patient draws it), so a fixed value would be ignored. " +
                    (fixable.Count > 0 ? $"Fix only parameters that do not vary ({string.Join(", ", fixable)}), or" : "Instead,") +
                    $" run a monte-carlo study with '{name}' in 'uncertain' to draw it around your value.");
            }
            else if (r.Kind is RunKind.Sweep or RunKind.Sensitivity && r.Uncertain is not { Length: > 0 } && r.Ranges?.Any(g => g.Parameter == name) == true)
            {
                errors.Add("parameters", $"'{name}' is drawn from its range in 'ranges', so a fixed value would be ignored; give it in one of the two.");
            }
        }
    }

    private static void CheckRanges(ParameterRange[]? ranges, ModelInfo info, FieldErrors errors)
    {
        if (ranges is not { Length: >= 1 and <= 10 }) { errors.Add("ranges", "Give 1 to 10 parameter ranges {parameter, lower, upper}."); return; }
        foreach (var g in ranges)
        {
            if (!info.Parameters.Any(p => p.Name == g.Parameter)) errors.Add("ranges", UnknownParameter(info, g.Parameter));
            else if (!(double.IsFinite(g.Lower) && double.IsFinite(g.Upper) && g.Lower < g.Upper)) errors.Add("ranges", $"The range of '{g.Parameter}' needs lower < upper.");
            else if (OutsideSign(info, g.Parameter, g.Lower) is { } wrongSign) errors.Add("ranges", wrongSign);
        }
    }

    private static void CheckUncertain(ParameterUncertainty[]? uncertain, ModelInfo info, FieldErrors errors)
    {
        if (uncertain is not { Length: >= 1 and <= 20 }) { errors.Add("uncertain", "Give 1 to 20 uncertain parameters {parameter, cv}."); return; }
        foreach (var u in uncertain)
        {
            if (!info.Parameters.Any(p => p.Name == u.Parameter)) errors.Add("uncertain", UnknownParameter(info, u.Parameter));
            else if (!(u.Cv is > 0 and <= 5)) errors.Add("uncertain", $"The CV of '{u.Parameter}' is between 0 and 5.");
        }
        if (uncertain.Select(u => u.Parameter).Distinct().Count() != uncertain.Length) errors.Add("uncertain", "Name each uncertain parameter once.");
    }

    private static void CheckSensitivityTarget(SensitivityTarget? target, string field, ModelInfo info, FieldErrors errors)
    {
        if (target is null) return;
        if (target.Output is { } output && !info.Outputs.Any(o => o.Name == output))
            errors.Add($"{field}.output", $"Model '{info.Id}' has no output '{output}'. Its outputs: {string.Join(", ", info.Outputs.Select(o => o.Name))}.");
        if (target.Statistic is { } statistic && !SeriesStatistic.IsKnown(statistic))
            errors.Add($"{field}.statistic", $"'{field}.statistic' is one of {string.Join(", ", SeriesStatistic.Names)} (over the output grid; auc by the trapezoidal rule).");
    }

    /// <summary>At most this many further targets of one study: each keeps its own sums in every shard.</summary>
    public const int MaxSensitivityAlso = 15;

    private static void CheckSensitivityAlso(RunRequest r, ModelInfo info, FieldErrors errors)
    {
        if (r.SensitivityAlso is not { } also) return;
        if (also.Length is 0 or > MaxSensitivityAlso)
        {
            errors.Add("sensitivityAlso", $"'sensitivityAlso' lists 1 to {MaxSensitivityAlso} further outputs or statistics to analyse from the same evaluations, or is left out.");
            return;
        }
        for (int i = 0; i < also.Length; i++)
        {
            if (also[i] is null) errors.Add($"sensitivityAlso[{i}]", "Each further target names an output, a statistic or both.");
            else CheckSensitivityTarget(also[i], $"sensitivityAlso[{i}]", info, errors);
        }
        // Duplicates are told apart only among targets that name what the model has.
        if (also.Any(t => t is null) || !new[] { r.SensitivityOf }.Concat(also).All(t => t is null || Known(t, info))) return;
        var seen = new HashSet<SensitivityTarget>();
        foreach (var target in new[] { r.SensitivityOf }.Concat(also).Select(t => Normalised(t, info)))
            if (!seen.Add(target)) errors.Add("sensitivityAlso", $"'{target.Output}:{target.Statistic}' is analysed twice: name each output and statistic once.");
    }

    private static bool Known(SensitivityTarget t, ModelInfo info) =>
        (t.Output is null || info.Outputs.Any(o => o.Name == t.Output)) && (t.Statistic is null || SeriesStatistic.IsKnown(t.Statistic));

    /// <summary>A target with the model's first output and the mean where it names none.</summary>
    private static SensitivityTarget Normalised(SensitivityTarget? target, ModelInfo info) =>
        new(target?.Output ?? info.Outputs[0].Name, target?.Statistic ?? SeriesStatistic.Names[0]);

    /// <summary>What a (normalised) sensitivity request analyses, in order: its target, then the further ones.</summary>
    public static SensitivityTarget[] SensitivityTargets(RunRequest r) => r.SensitivityOf is { } first ? [first, .. r.SensitivityAlso ?? []] : [];

    /// <summary>
    /// Null when <paramref name="value"/> has the sign the parameter can have: a parameter whose plausible range is
    /// positive (a rate, a volume, a weight) is positive, one from 0 is not negative. A negative insulin sensitivity or a
    /// zero body weight solved to numbers (or NaN) that no model statement covers; the plausible range itself is only
    /// advice (a study may explore past it).
    /// </summary>
    private static string? OutsideSign(ModelInfo info, string name, double value)
    {
        var p = info.Parameters[info.ParameterIndex(name)];
        if (p.Lower > 0 && !(value > 0)) return $"'{name}' ({p.Description}) is positive; its plausible range is {p.Lower:G4} to {p.Upper:G4} {p.Unit.Symbol}.";
        if (p.Lower >= 0 && value < 0) return $"'{name}' ({p.Description}) is not negative; its plausible range is {p.Lower:G4} to {p.Upper:G4} {p.Unit.Symbol}.";
        return null;
    }

    /// <summary>The fix comes with the refusal: the model's parameters, and where they are described.</summary>
    private static string UnknownParameter(ModelInfo info, string name) =>
        $"Model '{info.Id}' has no parameter '{name}'. Its parameters: {string.Join(", ", info.Parameters.Select(p => p.Name))} (units, defaults and ranges: GET /api/runs/models/{info.Id}, or dth run models {info.Id}).";

    private static string[] InputsOf(RunRequest r) =>
        r.Uncertain is { Length: > 0 } u ? u.Select(x => x.Parameter).ToArray() : (r.Ranges ?? []).Select(x => x.Parameter).ToArray();
}
