using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using DthGrains.Cli.Platform;
using Spectre.Console;
using static DthGrains.Cli.Catalogue.CatalogueCommands;

namespace DthGrains.Cli.Runs;

/// <summary>
/// <c>dth run models [model]</c>: the models runs can use and, for one, the names a request may give (parameters to
/// set, sweep or vary; outputs; scenarios), from the platform rather than the CLI's own engine, whose version may differ.
/// </summary>
internal static class RunModelsCommand
{
    public static Command Build()
    {
        var model = new Argument<string?>("model") { Description = "A model id or alias (hovorka, bergman, windkessel, pkpd); leave out to list them", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("models", "The models runs can use; with a model, its parameters (for --vary), outputs and scenarios") { model };
        command.SetAction((parse, ct) => RunAsync(async () =>
        {
            using var api = ApiClient.From(parse);
            var name = parse.GetValue(model);
            var answer = await api.GetAsync(RunCommands.RunsPath + "/models" + (name is null ? "" : "/" + Uri.EscapeDataString(name)), ct);
            if (parse.GetValue(CliSettings.Json)) { CliJson.Print(answer); return; }
            if (name is null) PrintList(answer);
            else PrintModel(answer);
        }));
        return command;
    }

    private static void PrintList(JsonElement models)
    {
        // The titles are long: they head each model's own page.
        var table = new Table().Border(TableBorder.Rounded).AddColumns("Model", "Alias", "Version", "Runs as", "Time", "Outputs", "Scenarios", "Parameters");
        foreach (var m in models.EnumerateArray())
            table.AddRow(Markup.Escape(Text(m, "id")), Markup.Escape(Text(m, "alias", "-")), Text(m, "version"), RunsAs(m), Markup.Escape(Text(m, "timeUnit")),
                Markup.Escape(Joined(m, "outputs")), Markup.Escape(Joined(m, "scenarios")),
                $"{m.GetProperty("parameters").GetInt32()} ({m.GetProperty("varyingInCohorts").GetInt32()} vary)");
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine("[grey]dth run models <model> lists a model's parameters, outputs and scenarios.[/]");
    }

    private static void PrintModel(JsonElement m)
    {
        var unit = Text(m, "timeUnit");
        AnsiConsole.MarkupLineInterpolated($"[bold]{Text(m, "title")}[/] ({Text(m, "id")} {Text(m, "version")}, engine {Text(m, "engineVersion")}); time in {unit}");
        AnsiConsole.MarkupLineInterpolated($"[grey]{Text(m, "reference")}[/]");
        if (m.TryGetProperty("executor", out _))
        {
            AnsiConsole.MarkupLineInterpolated(
                $"External code: a process per {(Text(m, "protocol").Contains("batch", StringComparison.Ordinal) ? "batch of subjects" : "subject")} ({Text(m, "protocol")}) on the silos that have it{(m.TryGetProperty("installed", out var i) && !i.GetBoolean() ? " (not this one)" : "")}; code {Text(m, "codeDigest")}. Give --duration in {unit}.");
            if (m.TryGetProperty("limits", out var limits) && limits.ValueKind == JsonValueKind.Object)
            {
                var memory = limits.TryGetProperty("memoryMiB", out var mib) && mib.ValueKind == JsonValueKind.Number ? $"{mib.GetInt32()} MiB of memory a process" : null;
                var cpu = limits.TryGetProperty("cpuSeconds", out var sec) && sec.ValueKind == JsonValueKind.Number ? $"{sec.GetInt32()} s of CPU a subject" : null;
                AnsiConsole.MarkupLineInterpolated($"Limits: at most {string.Join(", ", ((string?[])[memory, cpu]).OfType<string>())}; a process over them fails its subjects.");
            }
            if (m.TryGetProperty("network", out var network) && network.ValueKind == JsonValueKind.String)
                AnsiConsole.MarkupLine(network.GetString() == "host"
                    ? "Network: [yellow]the silo's[/] (its descriptor says so: the code may reach other machines)."
                    : "Network: none (the code runs in a network namespace of its own: what it is sent cannot leave the silo through it).");
            var hosts = m.TryGetProperty("hosts", out var h) && h.ValueKind == JsonValueKind.Array ? h.EnumerateArray().ToList() : [];
            if (hosts.Count == 0)
                AnsiConsole.MarkupLine("[yellow]No live silo has its code now: its runs are refused until a silo with it is started or back.[/]");
            else
                AnsiConsole.MarkupLineInterpolated($"Live silos with its code: {string.Join(", ", hosts.Select(x => $"{Text(x, "silo")} ({string.Join("/", x.GetProperty("institutions").EnumerateArray().Select(n => n.GetString()))}, {(Text(x, "role") is { Length: > 0 } role ? role : "no role")})"))}.");
        }

        var scenarios = new Table().Border(TableBorder.Rounded).Title("Scenarios (--scenario)").AddColumns("Name", "Period", "Default step", "Events", "Description");
        foreach (var s in m.GetProperty("scenarios").EnumerateArray())
            scenarios.AddRow(Markup.Escape(Text(s, "name")), $"{Number(s, "duration")} {Markup.Escape(unit)}", $"{Number(s, "defaultOutputStep")} {Markup.Escape(unit)}",
                s.GetProperty("events").GetInt32().ToString(CultureInfo.InvariantCulture), Markup.Escape(Text(s, "description")));
        AnsiConsole.Write(scenarios);

        var parameters = new Table().Border(TableBorder.Rounded).Title("Parameters (--vary NAME=CV or NAME=LOW:HIGH)")
            .AddColumns("Name", "Unit", "Default", "Plausible range", "Varies in cohorts", "Description");
        foreach (var p in m.GetProperty("parameters").EnumerateArray())
            parameters.AddRow(Markup.Escape(Text(p, "name")), Markup.Escape(Text(p, "unit")), Number(p, "value"), $"{Number(p, "lower")} – {Number(p, "upper")}",
                Markup.Escape(Text(p, "variability", "-")), Markup.Escape(Text(p, "description")));
        AnsiConsole.Write(parameters);

        var outputs = new Table().Border(TableBorder.Rounded).Title("Outputs").AddColumns("Name", "Unit", "Description");
        foreach (var o in m.GetProperty("outputs").EnumerateArray())
            outputs.AddRow(Markup.Escape(Text(o, "name")), Markup.Escape(Text(o, "unit")), Markup.Escape(Text(o, "description")));
        AnsiConsole.Write(outputs);
        AnsiConsole.MarkupLine("[grey]Sources of the defaults, inputs and states: dth run models <model> --json.[/]");
    }

    /// <summary>The engine's own ODE solvers, or an external code the silos start as processes (a server's answer may also predate the field).</summary>
    private static string RunsAs(JsonElement m) => m.TryGetProperty("executor", out var e) && e.GetString() is { } executor
        ? $"external ({Markup.Escape(executor)}, {Hosting(m)})" : "engine";

    /// <summary>How many live silos have an external model's code: none is said in yellow (its runs are refused until one is back).</summary>
    private static string Hosting(JsonElement m)
    {
        var n = m.TryGetProperty("hosts", out var hosts) && hosts.ValueKind == JsonValueKind.Array ? hosts.GetArrayLength() : 0;
        return n == 0 ? "[yellow]no live silo has it[/]" : n == 1 ? "1 live silo" : $"{n} live silos";
    }

    private static string Joined(JsonElement e, string name) => string.Join(", ", e.GetProperty(name).EnumerateArray().Select(x => x.GetString()));

    private static string Number(JsonElement e, string name) => e.GetProperty(name).GetDouble().ToString("G4", CultureInfo.InvariantCulture);
}
