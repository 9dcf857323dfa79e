using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using DthGrains.Simulation.Cohorts;
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
            var model = ModelLibrary.Get(a.Model);
            var scenario = ResolveScenario(model, a.Scenario);
            double duration = scenario.TimeUnit.ConvertTo(scenario.Duration, model.Info.TimeUnit);
            double step = a.Step ?? DefaultStep(model);
            var request = new SimulationRequest(model.Info.Id, model.Info.Version, scenario, a.Solver, new OutputGrid(0, duration, step),
                Seed: a.Seed, Cohort: a.Cohort > 0 ? new CohortSpec(a.Cohort) : null);
            return a.Cohort > 0 ? RunCohort(model, request, a) : RunSingle(model, request, a);
        }
        catch (ArgumentException e)
        {
            // Bad input (unknown model, wrong unit, bad tolerance) is the user's to fix: say what, without a stack trace.
            if (a.Json) Console.WriteLine(JsonSerializer.Serialize(new { error = e.Message }, JsonOptions));
            else AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {e.Message}");
            return 2;
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

    private static int RunCohort(ModelDefinition model, SimulationRequest request, LocalRunArguments a)
    {
        var scenario = CompiledScenario.Compile(model.Info, request.Scenario);
        var times = request.Output.Times();
        var sampler = new CohortSampler(model.Info, model.DefaultParameters());
        var runner = new CohortRunner(model, scenario, request.Solver, times, sampler, request.Seed);
        int size = request.Cohort!.Size;
        var sw = Stopwatch.StartNew();
        CohortPartial partial;
        if (a.Json)
        {
            partial = runner.RunShard(0, size);
        }
        else
        {
            CohortPartial? result = null;
            AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                .Start(ctx =>
                {
                    var task = ctx.AddTask($"{size:N0} virtual patients", maxValue: size);
                    result = runner.RunShard(0, size, progress: done => task.Value = Math.Max(task.Value, done));
                    task.Value = size;
                });
            partial = result!;
        }
        sw.Stop();
        var percentiles = CohortSpec.DefaultPercentiles;
        var summary = CohortSummary.From(partial, percentiles);
        var path = OutPath(a, model, "-cohort");
        File.WriteAllText(path, BandsCsv(summary));
        string hash = RequestHasher.Hash(request);

        if (a.Json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                requestHash = hash, model = model.Info.Id, version = model.Info.Version, scenario = request.Scenario.Name, seed = request.Seed,
                individuals = summary.Individuals, failed = summary.Failed, elapsedMs = sw.Elapsed.TotalMilliseconds, csv = path,
                timeUnit = model.Info.TimeUnit.Symbol, times = summary.Times, percentiles = summary.Percentiles,
                outputs = summary.OutputNames.Select((name, k) => new
                {
                    output = name,
                    mean = Enumerable.Range(0, summary.Times.Length).Select(t => summary.MeanOf(k, t)).ToArray(),
                    bands = summary.Percentiles.Select((p, j) => Enumerable.Range(0, summary.Times.Length).Select(t => summary.Band(k, t, j)).ToArray()).ToArray(),
                }).ToArray(),
            }, JsonOptions));
            return 0;
        }

        var output = model.Info.Outputs[0];
        AnsiConsole.MarkupLineInterpolated($"[bold]{model.Info.Title}[/] · scenario [bold]{request.Scenario.Name}[/] · cohort {summary.Individuals:N0} (failed {summary.Failed}) · seed {request.Seed} · {sw.Elapsed.TotalSeconds:F2} s");
        var table = new Table().Border(TableBorder.Rounded).Title(Markup.Escape($"{output.Name} [{output.Unit.Symbol}] percentile bands"));
        table.AddColumn($"t ({model.Info.TimeUnit.Symbol})");
        foreach (var p in percentiles) table.AddColumn($"p{p:G}");
        table.AddColumn("mean");
        int rows = Math.Min(13, summary.Times.Length);
        for (int r = 0; r < rows; r++)
        {
            int t = rows == 1 ? 0 : (int)Math.Round((double)r * (summary.Times.Length - 1) / (rows - 1));
            var cells = new List<string> { F(summary.Times[t]) };
            for (int j = 0; j < percentiles.Count; j++) cells.Add(F(summary.Band(0, t, j)));
            cells.Add(F(summary.MeanOf(0, t)));
            table.AddRow(cells.ToArray());
        }
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLineInterpolated($"request hash [grey]{hash}[/]");
        AnsiConsole.MarkupLineInterpolated($"wrote bands of {summary.OutputNames.Length} outputs × {summary.Times.Length} times to [link]{path}[/]");
        return 0;
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

    private static string BandsCsv(CohortSummary s)
    {
        var sb = new StringBuilder("output,time,mean,sd");
        foreach (var p in s.Percentiles) sb.Append(",p").Append(p.ToString(CultureInfo.InvariantCulture));
        sb.Append('\n');
        for (int k = 0; k < s.OutputNames.Length; k++)
            for (int t = 0; t < s.Times.Length; t++)
            {
                sb.Append(s.OutputNames[k]).Append(',').Append(s.Times[t].ToString("R", CultureInfo.InvariantCulture))
                  .Append(',').Append(s.MeanOf(k, t).ToString("R", CultureInfo.InvariantCulture))
                  .Append(',').Append(s.StandardDeviation[k * s.Times.Length + t].ToString("R", CultureInfo.InvariantCulture));
                for (int j = 0; j < s.Percentiles.Length; j++) sb.Append(',').Append(s.Band(k, t, j).ToString("R", CultureInfo.InvariantCulture));
                sb.Append('\n');
            }
        return sb.ToString();
    }

    private static string F(double v) => v.ToString(Math.Abs(v) >= 1000 || (Math.Abs(v) < 0.01 && v != 0) ? "G4" : "F2", CultureInfo.InvariantCulture);
}
