using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using DthGrains.Cli.Runs;
using DthGrains.Contracts.Runs;
using DthGrains.Domain.Runs;
using DthGrains.Simulation.Engine;
using DthGrains.Simulation.Models;
using DthGrains.Simulation.Reproducibility;
using DthGrains.Simulation.Scenarios;
using Spectre.Console;

namespace DthGrains.Cli.Simulation;

/// <summary>Executes <c>dth sim local</c>: builds the request, runs it, prints and writes results.</summary>
internal static class LocalRun
{
    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    public static int Execute(LocalRunArguments a)
    {
        try
        {
            var model = ModelLibrary.GetEngine(a.Model);
            var scenario = ResolveScenario(model, a.Scenario);
            if (a.Cohort > 0) return RunCohort(model, scenario.Name, a);
            double duration = scenario.TimeUnit.ConvertTo(scenario.Duration, model.Info.TimeUnit);
            double step = a.Step ?? DefaultStep(model);
            var request = new SimulationRequest(model.Info.Id, model.Info.Version, scenario, a.Solver, new OutputGrid(0, duration, step), Seed: a.Seed);
            return RunSingle(model, request, a);
        }
        catch (Exception e) when (e is ArgumentException or Catalogue.UsageException)
        {
            // Bad input (unknown model, wrong unit, bad tolerance) is the user's to fix: say what, without a stack trace, on
            // standard error (with --json too: standard output only ever holds the result).
            Platform.CliErrors.Print(e.Message);
            return Platform.CliErrors.Usage;
        }
    }

    private static Scenario ResolveScenario(ModelDefinition model, string name) => model.FindScenario(name.ToLowerInvariant())
        ?? throw new ArgumentException($"Unknown scenario '{name}' for model '{model.Info.Id}'. Known: {string.Join(", ", model.NamedScenarios.Select(s => s.Name))}.");

    private static double DefaultStep(ModelDefinition model) => model.Info.TimeUnit.Symbol switch
    {
        "h" => 1,
        "s" => 0.01,
        _ => 5,
    };

    private static string OutPath(LocalRunArguments a, ModelDefinition model, string suffix) =>
        Path.GetFullPath(a.Out ?? $"sim-{model.Info.Id}-{a.Scenario}{suffix}.csv");

    private static int RunSingle(ModelDefinition model, SimulationRequest request, LocalRunArguments a)
    {
        var sw = Stopwatch.StartNew();
        var result = SimulationEngine.Run(request);
        sw.Stop();
        var path = OutPath(a, model, "");
        File.WriteAllText(path, TrajectoryCsv(result));
        var summary = result.OutputNames.Select((name, k) =>
        {
            var s = result.Series(name);
            int argMax = Array.IndexOf(s, s.Max());
            return new { output = name, unit = result.OutputUnits[k], min = s.Min(), max = s.Max(), mean = s.Average(), final = s[^1], timeOfMax = result.Times[argMax] };
        }).ToArray();

        if (a.Json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                requestHash = result.RequestHash, model = result.ModelId, version = result.ModelVersion, scenario = request.Scenario.Name,
                status = result.Status.ToString(), timeUnit = model.Info.TimeUnit.Symbol, points = result.Times.Length,
                solver = new { steps = result.Statistics.AcceptedSteps, rejected = result.Statistics.RejectedSteps, rhs = result.Statistics.RhsEvaluations },
                elapsedMs = sw.Elapsed.TotalMilliseconds, csv = path, summary,
            }, JsonOptions));
            return result.Status == DthGrains.Simulation.Solvers.IntegrationStatus.Completed ? 0 : 1;
        }

        AnsiConsole.MarkupLineInterpolated($"[bold]{model.Info.Title}[/] {model.Info.Id} v{model.Info.Version} · scenario [bold]{request.Scenario.Name}[/]: {request.Scenario.Description}");
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumns("output", "unit", "min", "max", "mean", "final", $"time of max ({model.Info.TimeUnit.Symbol})");
        foreach (var s in summary)
            table.AddRow(s.output, Markup.Escape(s.unit), F(s.min), F(s.max), F(s.mean), F(s.final), F(s.timeOfMax));
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLineInterpolated($"status {result.Status} · {result.Statistics.AcceptedSteps} steps ({result.Statistics.RejectedSteps} rejected) · {sw.Elapsed.TotalMilliseconds:F1} ms");
        AnsiConsole.MarkupLineInterpolated($"request hash [grey]{result.RequestHash}[/]");
        AnsiConsole.MarkupLineInterpolated($"wrote {result.Times.Length} rows to [link]{path}[/]");
        return result.Status == DthGrains.Simulation.Solvers.IntegrationStatus.Completed ? 0 : 1;
    }

    /// <summary>
    /// A cohort goes through the platform's own planner and shard path (<see cref="RunReproduction"/>): the same options
    /// give the request, the bands and the result hash that <c>dth run submit</c> with them records on the platform.
    /// </summary>
    private static int RunCohort(ModelDefinition model, string scenario, LocalRunArguments a)
    {
        var request = new RunRequest(RunKind.CohortTrial, model.Info.Id, Scenario: scenario, OutputStep: a.Step, Size: a.Cohort, Seed: a.Seed,
            Solver: new RunSolverSettings(JsonNamingPolicy.KebabCaseLower.ConvertName(a.Solver.Kind.ToString()), a.Solver.RelativeTolerance, a.Solver.AbsoluteTolerance));
        var sw = Stopwatch.StartNew();
        var (plan, run) = LocalReproduction.Run(request, $"a {model.Info.Id} cohort", quiet: a.Json);
        sw.Stop();
        var summary = run.Summary!;
        var path = OutPath(a, model, "-cohort");
        File.WriteAllText(path, RunSummaryCsv.Of(summary));
        int nt = summary.Times.Length;

        if (a.Json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                requestHash = run.RequestHash, resultHash = run.ResultHash, engineVersion = run.EngineVersion, model = model.Info.Id, version = model.Info.Version,
                scenario = plan.Scenario.Name, seed = a.Seed, individuals = summary.Individuals, failed = summary.Failed, shards = run.Shards,
                elapsedMs = sw.Elapsed.TotalMilliseconds, csv = path, timeUnit = model.Info.TimeUnit.Symbol, times = summary.Times, percentiles = summary.Percentiles,
                outputs = summary.Outputs.Select((name, k) => new
                {
                    output = name,
                    unit = summary.Units[k],
                    mean = summary.Mean.Skip(k * nt).Take(nt).ToArray(),
                    bands = summary.Percentiles.Select((_, j) => Enumerable.Range(0, nt).Select(t => summary.Bands[(k * nt + t) * summary.Percentiles.Length + j]).ToArray()).ToArray(),
                    // A band at or below its time point's floor only says "below it" (null where nothing was folded).
                    floors = summary.BandFloors?.Skip(k * nt).Take(nt).ToArray(),
                }).ToArray(),
            }, JsonOptions));
            return 0;
        }

        AnsiConsole.MarkupLineInterpolated($"[bold]{model.Info.Title}[/] · scenario [bold]{plan.Scenario.Name}[/] · cohort {summary.Individuals:N0} (failed {summary.Failed}) · seed {a.Seed} · {sw.Elapsed.TotalSeconds:F2} s");
        AnsiConsole.Write(TimeCourse(summary, 0, model.Info.TimeUnit.Symbol));
        AnsiConsole.MarkupLineInterpolated($"request hash [grey]{run.RequestHash}[/]");
        AnsiConsole.MarkupLineInterpolated($"result hash  [grey]{run.ResultHash}[/] (a platform run of this request records the same)");
        AnsiConsole.MarkupLineInterpolated($"wrote bands of {summary.Outputs.Length} outputs × {nt} times to [link]{path}[/]");
        return 0;
    }

    /// <summary>One output's bands over time (at most 13 rows, spread over the grid); a band at or below its cell's floor reads "&lt;floor".</summary>
    private static Table TimeCourse(RunSummary s, int output, string timeUnit)
    {
        int nt = s.Times.Length, np = s.Percentiles.Length;
        var table = new Table().Border(TableBorder.Rounded).Title(Markup.Escape($"{s.Outputs[output]} [{s.Units[output]}] percentile bands"));
        table.AddColumn($"t ({timeUnit})");
        foreach (var p in s.Percentiles) table.AddColumn($"p{p.ToString(CultureInfo.InvariantCulture)}");
        table.AddColumn("mean");
        int rows = Math.Min(13, nt);
        var marked = false;
        for (int r = 0; r < rows; r++)
        {
            int t = rows == 1 ? 0 : (int)Math.Round((double)r * (nt - 1) / (rows - 1));
            int k = output * nt + t;
            var cells = new List<string> { F(s.Times[t]) };
            for (int j = 0; j < np; j++)
            {
                var band = s.Bands[k * np + j];
                var folded = band is { } b ? RunCommands.Folded(b, s.BandFloors?[k]) : null;
                marked |= folded is not null;
                cells.Add(folded ?? F(band));
            }
            cells.Add(F(s.Mean[k]));
            table.AddRow(cells.Select(Markup.Escape).ToArray());
        }
        if (marked) table.Caption(RunCommands.FoldedCaption);
        return table;
    }

    private static string TrajectoryCsv(SimulationResult r)
    {
        var sb = new StringBuilder();
        sb.Append("time,").AppendJoin(',', r.OutputNames.Select((n, k) => $"{n} [{r.OutputUnits[k]}]")).Append('\n');
        for (int i = 0; i < r.Times.Length; i++)
        {
            sb.Append(r.Times[i].ToString("R", CultureInfo.InvariantCulture));
            for (int k = 0; k < r.OutputNames.Length; k++) sb.Append(',').Append(r[i, k].ToString("R", CultureInfo.InvariantCulture));
            sb.Append('\n');
        }
        return sb.ToString();
    }

    private static string F(double? v) => v is { } x ? F(x) : "-";

    private static string F(double v) => v.ToString(Math.Abs(v) >= 1000 || (Math.Abs(v) < 0.01 && v != 0) ? "G4" : "F2", CultureInfo.InvariantCulture);
}
