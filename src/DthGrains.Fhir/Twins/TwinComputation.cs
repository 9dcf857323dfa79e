using System.Security.Cryptography;
using DthGrains.Fhir.Mapping;
using DthGrains.Simulation.Calibration;
using DthGrains.Simulation.Engine;
using DthGrains.Simulation.Models;
using DthGrains.Simulation.Reproducibility;
using DthGrains.Simulation.Scenarios;
using DthGrains.Simulation.Solvers;

namespace DthGrains.Fhir.Twins;

/// <summary>A fitted parameter: estimate, standard error (delta method from the log-scale fit), unit, bounds.</summary>
public sealed record FittedParameter(string Name, double Estimate, double StandardError, double LogStandardError, string Unit, double Lower, double Upper);

/// <summary>Observations a step used: count and time window.</summary>
public sealed record ObservationSpan(int Count, DateTimeOffset From, DateTimeOffset To);

/// <summary>A calibration: fitted parameters, fit quality, the observations used, the canonical request hash.</summary>
public sealed record CalibrationOutcome(IReadOnlyList<FittedParameter> Parameters, bool Converged, int Iterations, double WeightedSumOfSquares,
    double ResidualVariance, double Rmse, ObservationSpan Observations, string RequestHash, string Message)
{
    /// <summary>The fitted values by name.</summary>
    public IReadOnlyDictionary<string, double> Values => Parameters.ToDictionary(p => p.Name, p => p.Estimate);
}

/// <summary>A validation on held-out observations.</summary>
public sealed record ValidationOutcome(ValidationReport Metrics, ObservationSpan HeldOut, string RequestHash);

/// <summary>A meal of a what-if plan, in minutes from its start.</summary>
public sealed record PlannedMealDose(double AtMinute, double Carbohydrate, double BolusUnits);

/// <summary>A what-if plan: hours, meals with boluses, basal rate (U/h).</summary>
public sealed record WhatIfPlan(string Name, double Hours, IReadOnlyList<PlannedMealDose> Meals, double BasalUnitsPerHour);

/// <summary>A what-if prediction: glucose (mmol/L) every 5 minutes, its summary and the canonical request hash.</summary>
public sealed record WhatIfPrediction(double[] Minutes, double[] Glucose, double Mean, double Min, double Max, double InRangePercent,
    double BelowRangePercent, double AboveRangePercent, string RequestHash);

/// <summary>
/// The numerical work of a twin, pure and CPU-bound (callers run it off any grain turn): calibration of the personal
/// parameters on all but the last day of a subject's data (weighted least squares in log-parameters, weights from the
/// CGM error model), validation on the held-out last day, and what-if predictions. Every step hashes its simulation
/// request canonically (Simulation Reproducibility) so results can be traced and rerun.
/// </summary>
public static class TwinComputation
{
    /// <summary>CGM error model: SD = 0.2 mmol/L + 5 % of the glucose (CGM accuracy studies report about this).</summary>
    public const double NoiseSd = 0.2, NoiseCv = 0.05;

    /// <summary>Grid of predictions and summaries, minutes.</summary>
    public const double Step = 5;

    public static readonly SolverOptions Solver = new(SolverKind.Auto, 1e-8, 1e-10);

    /// <summary>
    /// Where the held-out window starts (it holds the readings after this moment; the calibration those up to it): the
    /// last 24 h of the glucose readings when they span 36 h or more, else their last third. Of the readings, not of
    /// every input: a basal period or a dose recorded a day past the last reading left a held-out window with no glucose
    /// in it, and the twin could never be validated.
    /// </summary>
    public static DateTimeOffset HoldOutFrom(PatientTimeline timeline)
    {
        if (timeline.Glucose.Count == 0) throw new ArgumentException("The timeline has no glucose readings.");
        var (origin, end) = (timeline.Glucose[0].Time, timeline.Glucose[^1].Time);
        var span = end - origin;
        return span >= TimeSpan.FromHours(36) ? end - TimeSpan.FromHours(24) : origin + span * (2.0 / 3.0);
    }

    public static CalibrationOutcome Calibrate(PatientTimeline timeline, string modelVersion)
    {
        var (model, names) = Resolve(timeline);
        var scenario = timeline.ToScenario("twin-calibration");
        var all = timeline.GlucoseObservations();
        double cut = timeline.MinutesFromOrigin(HoldOutFrom(timeline));
        int n = all.Times.Count(t => t <= cut);
        if (n <= names.Count * 4) throw new ArgumentException($"Too few glucose observations before the held-out window ({n}) to fit {names.Count} parameters.");
        var times = all.Times[..n];
        var values = all.Values[..n];
        var weights = values.Select(v => 1 / Math.Pow(NoiseSd + NoiseCv * v, 2)).ToArray();

        var info = model.Info;
        var baseline = model.Parameters(timeline.Covariates());
        var compiled = CompiledScenario.Compile(info, scenario);
        var ws = new SimulationWorkspace(model, Solver, times);
        int ny = info.Outputs.Count, g = info.OutputIndex(timeline.GlucoseOutput);
        var idx = names.Select(info.ParameterIndex).ToArray();
        var p = (double[])baseline.Clone();
        var y = new double[times.Length * ny];
        // Log-parameters: positive by construction, and the linearised standard errors describe the skewed
        // uncertainty of rate constants much better than on the natural scale.
        var fit = names.Select(name =>
        {
            var pi = info.Parameters[info.ParameterIndex(name)];
            return new FitParameter(name, Math.Log(pi.Value), Math.Log(pi.Lower), Math.Log(pi.Upper));
        }).ToList();
        var result = LevenbergMarquardt.Fit(fit, times.Length, (theta, r) =>
        {
            for (int k = 0; k < idx.Length; k++) p[idx[k]] = Math.Exp(theta[k]);
            var status = ws.Solve(compiled, p, y);
            for (int i = 0; i < r.Length; i++) r[i] = status == IntegrationStatus.Completed ? y[i * ny + g] - values[i] : double.NaN;
        }, weights);

        var estimates = result.Estimates.Select(Math.Exp).ToArray();
        for (int k = 0; k < idx.Length; k++) p[idx[k]] = estimates[k];
        ws.Solve(compiled, p, y);
        double sse = 0;
        for (int i = 0; i < times.Length; i++) sse += Math.Pow(y[i * ny + g] - values[i], 2);

        var parameters = names.Select((name, k) =>
        {
            var pi = info.Parameters[info.ParameterIndex(name)];
            return new FittedParameter(name, estimates[k], estimates[k] * result.StandardErrors[k], result.StandardErrors[k], pi.Unit.Symbol, pi.Lower, pi.Upper);
        }).ToArray();
        // A parameter the data cannot inform (a meal absorption time with no meal recorded) leaves the fit's matrix
        // singular: its standard error is not a number, which no event can carry. Said as what the data lacks.
        var unidentified = parameters.Where(x => !double.IsFinite(x.Estimate) || !double.IsFinite(x.StandardError)).Select(x => x.Name).ToList();
        if (unidentified.Count > 0)
            throw new ArgumentException($"The data cannot identify {string.Join(", ", unidentified)}: the fit leaves {(unidentified.Count == 1 ? "it" : "them")} without a bounded uncertainty "
                + "(a meal parameter without meals recorded, an insulin parameter without insulin given). Link data with meals, insulin and glucose over the same days.");
        if (!double.IsFinite(result.WeightedSumOfSquares) || !double.IsFinite(result.ResidualVariance) || !double.IsFinite(sse))
            throw new ArgumentException("The model could not be fitted to the data: its predictions are not finite at the estimates.");
        var origin = timeline.Origin!.Value;
        var hash = Hash(info.Id, modelVersion, scenario, times[^1], Personalised(timeline, parameters.ToDictionary(x => x.Name, x => x.Estimate)));
        return new CalibrationOutcome(parameters, result.Converged, result.Iterations, result.WeightedSumOfSquares, result.ResidualVariance,
            Math.Sqrt(sse / times.Length), new ObservationSpan(n, origin.AddMinutes(times[0]), origin.AddMinutes(times[^1])), hash, result.Message);
    }

    /// <summary>Predicts the held-out window from the start of the data with <paramref name="fitted"/> and compares.</summary>
    public static ValidationOutcome Validate(PatientTimeline timeline, IReadOnlyDictionary<string, double> fitted, string modelVersion)
    {
        var (model, _) = Resolve(timeline);
        var scenario = timeline.ToScenario("twin-validation");
        var all = timeline.GlucoseObservations();
        double cut = timeline.MinutesFromOrigin(HoldOutFrom(timeline));
        var held = Enumerable.Range(0, all.Times.Length).Where(i => all.Times[i] > cut).ToArray();
        if (held.Length == 0) throw new ArgumentException("No glucose observations in the held-out window.");
        var times = held.Select(i => all.Times[i]).ToArray();
        var observed = held.Select(i => all.Values[i]).ToArray();
        var parameters = Personalised(timeline, fitted);
        var predicted = Simulate(model, scenario, parameters, times, timeline.GlucoseOutput);
        if (!predicted.All(double.IsFinite)) throw new ArgumentException("The held-out window could not be predicted: the model gives values that are not finite with these parameters.");
        var lower = predicted.Select(v => v - 1.96 * (NoiseSd + NoiseCv * v)).ToArray();
        var upper = predicted.Select(v => v + 1.96 * (NoiseSd + NoiseCv * v)).ToArray();
        var report = ValidationReport.Compute(predicted, observed, lower, upper);
        var origin = timeline.Origin!.Value;
        var hash = Hash(model.Info.Id, modelVersion, scenario, times[^1], parameters);
        return new ValidationOutcome(report, new ObservationSpan(times.Length, origin.AddMinutes(times[0]), origin.AddMinutes(times[^1])), hash);
    }

    /// <summary>
    /// A what-if prediction from steady state on the plan's basal rate. <paramref name="parameters"/> are the personalised
    /// values (covariates and fitted parameters) by name; the rest keep the published values.
    /// </summary>
    public static WhatIfPrediction Predict(string modelId, string modelVersion, IReadOnlyDictionary<string, double> parameters, WhatIfPlan plan)
    {
        var model = ModelLibrary.GetEngine(modelId);
        var scenario = ScenarioOf(plan);
        var times = PredictionTimes(plan);
        var glucose = Simulate(model, scenario, parameters, times, "G");
        return Prediction(times, glucose, Hash(model.Info.Id, modelVersion, scenario, times[^1], parameters));
    }

    /// <summary>The engine scenario of a plan (built by <see cref="GlucosePlans"/>, as simulation runs build an inline plan).</summary>
    public static Scenario ScenarioOf(WhatIfPlan plan) =>
        GlucosePlans.Build(plan.Name, plan.Hours, plan.Meals.Select(m => new GlucosePlanMeal(m.AtMinute, m.Carbohydrate, m.BolusUnits)), plan.BasalUnitsPerHour);

    /// <summary>The prediction grid of a plan: every <see cref="Step"/> minutes from 0 to its end.</summary>
    public static double[] PredictionTimes(WhatIfPlan plan)
    {
        int n = (int)Math.Floor(plan.Hours * 60 / Step) + 1;
        return Enumerable.Range(0, n).Select(k => k * Step).ToArray();
    }

    /// <summary>The canonical request hash of a what-if prediction (what <see cref="Predict"/> records), without simulating.</summary>
    public static string PredictionHash(string modelId, string modelVersion, IReadOnlyDictionary<string, double> parameters, WhatIfPlan plan) =>
        Hash(ModelLibrary.Get(modelId).Info.Id, modelVersion, ScenarioOf(plan), PredictionTimes(plan)[^1], parameters);

    /// <summary>A prediction from a glucose trajectory (mmol/L) on the plan's grid: its summary (mean, range, time in ranges).</summary>
    public static WhatIfPrediction Prediction(double[] times, double[] glucose, string requestHash)
    {
        double Percent(Func<double, bool> f) => Math.Round(100.0 * glucose.Count(f) / glucose.Length, 1);
        return new WhatIfPrediction(times, glucose, glucose.Average(), glucose.Min(), glucose.Max(),
            Percent(v => v is >= 3.9 and <= 10), Percent(v => v < 3.9), Percent(v => v > 10), requestHash);
    }

    /// <summary>The covariates of the data (body weight) and the fitted values, by name.</summary>
    public static IReadOnlyDictionary<string, double> Personalised(PatientTimeline timeline, IReadOnlyDictionary<string, double> fitted)
    {
        var all = new Dictionary<string, double>(timeline.Covariates(), StringComparer.Ordinal);
        foreach (var (k, v) in fitted) all[k] = v;
        return all;
    }

    private static double[] Simulate(ModelDefinition model, Scenario scenario, IReadOnlyDictionary<string, double> parameters, double[] times, string output)
    {
        var ws = new SimulationWorkspace(model, Solver, times);
        var y = new double[times.Length * ws.OutputCount];
        var status = ws.Solve(CompiledScenario.Compile(model.Info, scenario), model.Parameters(parameters), y);
        if (status != IntegrationStatus.Completed) throw new UnusableDataException($"The simulation ended with {status}.");
        int g = model.Info.OutputIndex(output);
        return Enumerable.Range(0, times.Length).Select(k => y[k * ws.OutputCount + g]).ToArray();
    }

    private static (ModelDefinition Model, IReadOnlyList<string> Names) Resolve(PatientTimeline timeline)
    {
        var names = TwinModels.PersonalParameters(timeline.ModelId) ?? throw new ArgumentException($"Twins of model '{timeline.ModelId}' are not supported.");
        return (ModelLibrary.GetEngine(timeline.ModelId), names);
    }

    private static string Hash(string modelId, string modelVersion, Scenario scenario, double end, IReadOnlyDictionary<string, double> parameters) =>
        RequestHasher.Hash(new SimulationRequest(modelId, modelVersion, scenario, Solver, new OutputGrid(0, end, Step), parameters));

    /// <summary>A short, stable id for a scenario test: the first 16 hex digits of SHA-256 over the request hash and the twin version.</summary>
    public static string ScenarioId(string requestHash, long twinVersion) =>
        "sc-" + Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{requestHash}|{twinVersion}")))[..16];
}
