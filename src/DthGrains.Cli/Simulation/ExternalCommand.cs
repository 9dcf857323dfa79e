using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using DthGrains.Cli.Platform;
using DthGrains.Simulation.Engine;
using DthGrains.Simulation.Models.External;
using DthGrains.Simulation.Scenarios;
using DthGrains.Simulation.Solvers;
using Spectre.Console;

namespace DthGrains.Cli.Simulation;

/// <summary>
/// <c>dth sim external &lt;folder|descriptor&gt; [--try]</c>: an operator checks external model descriptors as a silo reads
/// them at start (every problem named), sees whether this machine has each code and its digest, and with --try runs one
/// subject of each (defaults, reference scenario) through the same adapter the silos use, before restarting a silo.
/// </summary>
internal static class ExternalCommand
{
    /// <summary>Exit code when a descriptor has problems or a tried subject failed.</summary>
    public const int Problems = 1;

    public static Command Build()
    {
        var path = new Argument<string>("path") { Description = "A folder of descriptors (*.model.json, as Dth:Runs:ExternalModels) or one descriptor file" };
        var tryIt = new Option<bool>("--try") { Description = "Run one subject of each installed model (default parameters, reference scenario) and show its outputs" };
        var command = new Command("external", "Check external model descriptors as a silo reads them, and with --try run one subject of each here") { path, tryIt };
        command.SetAction((parse, ct) => Task.FromResult(Execute(parse.GetValue(path)!, parse.GetValue(tryIt), parse.GetValue(CliSettings.Json), ct)));
        return command;
    }

    private static int Execute(string path, bool tryIt, bool json, CancellationToken ct)
    {
        // A path that is not there is a usage mistake, said on standard error: not a descriptor's problem.
        if (!File.Exists(path) && !Directory.Exists(path))
        {
            CliErrors.Print($"No descriptor file or folder at {Path.GetFullPath(path)}.");
            return CliErrors.Usage;
        }
        // A try runs each code as a silo would, writing only its scratch, so that one that writes elsewhere fails here.
        string? unconfined = null;
        using var asOnASilo = tryIt ? ExternalModel.ConfineWritesOfCodes(out unconfined) : null;
        IReadOnlyList<ExternalModel> models;
        try
        {
            models = File.Exists(path) ? [ExternalModel.Load(path)] : ExternalModel.LoadFolder(path);
        }
        catch (Exception e) when (e is InvalidDataException or DirectoryNotFoundException)
        {
            if (json) CliJson.Print(JsonSerializer.SerializeToElement(new { valid = false, problem = e.Message }));
            else AnsiConsole.MarkupLineInterpolated($"[red]A silo would not start:[/] {e.Message}");
            return Problems;
        }
        if (models.Count == 0)
        {
            if (!json) AnsiConsole.MarkupLineInterpolated($"[yellow]No descriptor ({ExternalModel.DescriptorPattern}) in {Path.GetFullPath(path)}.[/]");
            else CliJson.Print(JsonSerializer.SerializeToElement(new { valid = true, models = Array.Empty<object>() }));
            return 0;
        }
        var tries = tryIt ? models.Where(m => m.IsInstalled).ToDictionary(m => m.Info.Id, m => TryOne(m, ct)) : [];
        if (json)
        {
            CliJson.Print(JsonSerializer.SerializeToElement(new
            {
                valid = true,
                writesConfined = tryIt ? asOnASilo is not null : (bool?)null,
                unconfinedBecause = unconfined,
                models = models.Select(m => new
                {
                    id = m.Info.Id, version = m.Info.Version, installed = m.IsInstalled, command = m.Command, codeDigest = m.CodeDigest, protocol = m.Protocol, batchSize = m.BatchSize,
                    limits = m.Limits.Any ? m.Limits : null, network = m.Network,
                    notRunnableHere = m.NotRunnableHere,
                    tried = tries.TryGetValue(m.Info.Id, out var t) ? new { completed = t.Failure is null, failure = t.Failure, milliseconds = t.Elapsed.TotalMilliseconds } : null,
                }),
            }));
        }
        else
        {
            Print(models, tries);
            if (tryIt && tries.Count > 0)
                AnsiConsole.MarkupLine(asOnASilo is not null
                    ? "[grey]Tried as on a silo: on a read-only file system, each code writing only its working folder (also its TMPDIR) and /dev/shm, and not seeing your credentials (~/.ssh, ~/.pgpass, cloud logins...).[/]"
                    : $"[yellow]Tried without a silo's read-only file system[/] ({Markup.Escape(unconfined ?? "")}): a code that writes outside its working folder works here and fails on a silo.");
        }
        return tries.Values.Any(t => t.Failure is not null) ? Problems : 0;
    }

    private sealed record Tried(string? Failure, TimeSpan Elapsed, double[] Times, double[] Outputs);

    /// <summary>One subject: default parameters, the reference scenario, 5 output times over it.</summary>
    private static Tried TryOne(ExternalModel model, CancellationToken ct)
    {
        var scenario = model.ReferenceScenario;
        var times = Enumerable.Range(0, 5).Select(i => scenario.Duration * i / 4).ToArray();
        var simulator = (ExternalProcessSimulator)model.CreateSimulator(new SolverOptions(), times);
        var outputs = new double[times.Length * model.Info.Outputs.Count];
        var clock = Stopwatch.StartNew();
        var status = simulator.Solve(CompiledScenario.Compile(model.Info, scenario), model.DefaultParameters(), outputs, SubjectIdentity.Of(0, 0), ct);
        return new Tried(status == IntegrationStatus.Completed ? null : simulator.LastFailure, clock.Elapsed, times, outputs);
    }

    private static void Print(IReadOnlyList<ExternalModel> models, Dictionary<string, Tried> tries)
    {
        var table = new Table().Border(TableBorder.Rounded).AddColumns("Model", "Version", "Code here", "Processes", "Scenarios", "Parameters", "Outputs", "Digest");
        foreach (var m in models)
            table.AddRow(Markup.Escape(m.Info.Id), Markup.Escape(m.Info.Version),
                m.IsInstalled ? $"[green]yes[/] ({Markup.Escape(m.Command)})" : $"[yellow]no[/]: {Markup.Escape(m.NotRunnableHere ?? "")} (its shards go to silos that can run it)",
                (m.BatchSize > 1 ? $"one per batch of up to {m.BatchSize} subjects" : "one per subject") + (m.Limits.Any ? $"; at most {Markup.Escape(m.Limits.ToString())}" : "")
                    + (m.NetworkIsolated ? "; no network" : "; [yellow]the silo's network[/]"),
                Markup.Escape(string.Join(", ", m.NamedScenarios.Select(s => s.Name))), m.Info.Parameters.Count.ToString(CultureInfo.InvariantCulture),
                Markup.Escape(string.Join(", ", m.Info.Outputs.Select(o => $"{o.Name} ({o.Unit.Symbol})"))), Markup.Escape(m.CodeDigest));
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine("[green]Every descriptor checks out: a silo given this folder would start with these models.[/]");
        foreach (var (id, t) in tries)
        {
            var model = models.Single(m => m.Info.Id == id);
            if (t.Failure is not null)
            {
                AnsiConsole.MarkupLineInterpolated($"[red]{id}: one subject failed[/] after {t.Elapsed.TotalSeconds:0.###} s: {t.Failure}");
                continue;
            }
            var outputs = model.Info.Outputs;
            AnsiConsole.MarkupLineInterpolated($"[bold]{id}[/]: one subject, default parameters, scenario {model.ReferenceScenario.Name}, in {t.Elapsed.TotalSeconds:0.###} s");
            var result = new Table().Border(TableBorder.Rounded)
                .AddColumns([$"time ({model.Info.TimeUnit.Symbol})", .. outputs.Select(o => $"{o.Name} ({o.Unit.Symbol})")]);
            for (int i = 0; i < t.Times.Length; i++)
                result.AddRow([t.Times[i].ToString("G4", CultureInfo.InvariantCulture),
                    .. outputs.Select((_, k) => t.Outputs[i * outputs.Count + k] is var v && double.IsNaN(v) ? "-" : v.ToString("G4", CultureInfo.InvariantCulture))]);
            AnsiConsole.Write(result);
        }
    }
}
