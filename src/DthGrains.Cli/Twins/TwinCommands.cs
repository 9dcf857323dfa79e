using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using DthGrains.Cli.Catalogue;
using DthGrains.Cli.Platform;
using Spectre.Console;
using static DthGrains.Cli.Catalogue.CatalogueCommands;
using static DthGrains.Cli.Platform.CliText;

namespace DthGrains.Cli.Twins;

/// <summary>
/// <c>dth twin create|link|calibrate|validate|test|activate|retire|show|list|export</c>: digital twins under
/// <c>/api/twins</c>, from design to a FHIR export of their predictions.
/// </summary>
public static class TwinCommands
{
    private const string TwinsPath = "api/twins";

    public static Command Build()
    {
        var command = new Command("twin", "Digital twins: design, link patient data under a grant, calibrate, validate, test scenarios, export as FHIR");
        command.Subcommands.Add(Create());
        command.Subcommands.Add(Link());
        command.Subcommands.Add(Step("calibrate", "Fit the personal parameters to all but the last day of the linked data", "calibrate", "Calibrating on the patient's data…"));
        command.Subcommands.Add(Step("validate", "Compare predictions with the held-out day against the acceptance criteria", "validate", "Validating on the held-out day…"));
        command.Subcommands.Add(Test());
        command.Subcommands.Add(Step("activate", "Activate a validated, passing, fresh twin", "activate", null));
        command.Subcommands.Add(Retire());
        command.Subcommands.Add(Show());
        command.Subcommands.Add(List());
        command.Subcommands.Add(Export());
        return command;
    }

    private static string PathOf(string id, string? tail = null) => $"{TwinsPath}/{Uri.EscapeDataString(id)}{(tail is null ? "" : "/" + tail)}";

    private static Command Create()
    {
        var name = new Option<string>("--name") { Description = "A name for the twin", Required = true };
        var model = new Option<string>("--model") { Description = "Catalogue model id", DefaultValueFactory = _ => "hovorka-2004" };
        var version = new Option<string?>("--model-version") { Description = "Model version (default: the latest released)" };
        var question = new Option<string>("--question") { Description = "V&V 40 question of interest", Required = true };
        var context = new Option<string>("--context-of-use") { Description = "V&V 40 context of use", Required = true };
        var purpose = new Option<string>("--purpose") { Description = "EHDS purpose of the data use (must match your grant)", DefaultValueFactory = _ => "scientific-research" };
        var influence = new Option<int>("--influence") { Description = "Model influence, 1 (low) to 3 (high)", DefaultValueFactory = _ => 2 };
        var consequence = new Option<int>("--consequence") { Description = "Decision consequence, 1 (low) to 3 (high)", DefaultValueFactory = _ => 2 };
        influence.Validators.Add(r => { if (r.GetValueOrDefault<int>() is < 1 or > 3) r.AddError("--influence is 1 (low) to 3 (high)."); });
        consequence.Validators.Add(r => { if (r.GetValueOrDefault<int>() is < 1 or > 3) r.AddError("--consequence is 1 (low) to 3 (high)."); });
        var mard = new Option<double>("--max-mard") { Description = "Acceptance: largest MARD on held-out data, %", DefaultValueFactory = _ => 15 };
        var bias = new Option<double>("--max-bias") { Description = "Acceptance: largest absolute bias, mmol/L", DefaultValueFactory = _ => 1 };
        var coverage = new Option<double>("--min-coverage") { Description = "Acceptance: smallest coverage of the 95 % band, 0-1", DefaultValueFactory = _ => 0.8 };
        var command = new Command("create", "Design a twin: model version, context of use, acceptance criteria, purpose")
            { name, model, version, question, context, purpose, influence, consequence, mard, bias, coverage };
        command.SetAction((parse, ct) => RunAsync(async () =>
        {
            using var api = ApiClient.From(parse);
            var twin = await api.SendAsync(HttpMethod.Post, TwinsPath, new
            {
                name = parse.GetValue(name), modelId = parse.GetValue(model), modelVersion = parse.GetValue(version),
                questionOfInterest = parse.GetValue(question), contextOfUse = parse.GetValue(context), purpose = parse.GetValue(purpose),
                modelInfluence = parse.GetValue(influence), decisionConsequence = parse.GetValue(consequence),
                acceptance = new { maxMardPercent = parse.GetValue(mard), maxAbsBias = parse.GetValue(bias), minCoverage = parse.GetValue(coverage) },
            }, ct: ct);
            if (parse.GetValue(CliSettings.Json)) { CliJson.Print(twin); return; }
            AnsiConsole.MarkupLineInterpolated($"Designed twin [bold]{Text(twin, "id")}[/] on {Text(twin, "modelId")}@{Text(twin, "modelVersion")}.");
            AnsiConsole.MarkupLineInterpolated($"[grey]Next: dth twin link {Text(twin, "id")} --dataset DATASET --subject PSEUDONYM[/]");
        }));
        return command;
    }

    private static Command Link()
    {
        var id = new Argument<string>("id") { Description = "Twin id" };
        var dataset = new Option<string>("--dataset") { Description = "Dataset id in the catalogue", Required = true };
        var version = new Option<string?>("--dataset-version") { Description = "Dataset version (default: the latest)" };
        var subject = new Option<string>("--subject") { Description = "The dataset subject's pseudonym (e.g. synth-00001)", Required = true };
        var command = new Command("link", "Link one dataset subject's data under a live grant with action simulate") { id, dataset, version, subject };
        command.SetAction((parse, ct) => RunAsync(async () =>
        {
            using var api = ApiClient.From(parse);
            var twin = await api.SendAsync(HttpMethod.Post, PathOf(parse.GetValue(id)!, "link"),
                new { datasetId = parse.GetValue(dataset), datasetVersion = parse.GetValue(version), subject = parse.GetValue(subject) }, ct: ct);
            Write(parse, twin);
        }));
        return command;
    }

    private static Command Step(string name, string description, string route, string? progress)
    {
        var id = new Argument<string>("id") { Description = "Twin id" };
        var command = new Command(name, description) { id };
        command.SetAction((parse, ct) => RunAsync(async () =>
        {
            using var api = ApiClient.From(parse);
            Task<JsonElement> Call() => api.SendAsync(HttpMethod.Post, PathOf(parse.GetValue(id)!, route), ct: ct);
            var twin = progress is null || parse.GetValue(CliSettings.Json)
                ? await Call()
                : await AnsiConsole.Status().Spinner(Spinner.Known.Dots).StartAsync(progress, _ => Call());
            Write(parse, twin);
        }));
        return command;
    }

    private static Command Test()
    {
        var id = new Argument<string>("id") { Description = "Twin id" };
        var name = new Option<string>("--name") { Description = "Scenario name", DefaultValueFactory = _ => "what-if" };
        var hours = new Option<double>("--hours") { Description = "Scenario length, hours", DefaultValueFactory = _ => 24 };
        var meals = new Option<string[]>("--meal") { Description = "A meal MINUTE:GRAMS[:BOLUS_UNITS], minutes from the start (repeatable)", AllowMultipleArgumentsPerToken = false };
        var basal = new Option<double?>("--basal") { Description = "Basal insulin, U/h (default: the patient's)" };
        var command = new Command("test", "Run a what-if meal plan or dose regimen on a validated twin") { id, name, hours, meals, basal };
        command.SetAction((parse, ct) => RunAsync(async () =>
        {
            var plan = (parse.GetValue(meals) ?? []).Select(ParseMeal).ToArray();
            using var api = ApiClient.From(parse);
            var twin = await api.SendAsync(HttpMethod.Post, PathOf(parse.GetValue(id)!, "scenarios"),
                new { name = parse.GetValue(name), hours = parse.GetValue(hours), meals = plan, basalUnitsPerHour = parse.GetValue(basal) }, ct: ct);
            if (parse.GetValue(CliSettings.Json)) { CliJson.Print(twin); return; }
            var s = twin.GetProperty("scenarios").EnumerateArray().Last();
            var summary = s.GetProperty("summary");
            var table = new Table().Border(TableBorder.Rounded).Title($"Scenario {Markup.Escape(Text(s, "scenarioId"))}: {Markup.Escape(Text(s.GetProperty("scenario"), "name"))}")
                .AddColumns("Mean", "Min", "Max", "In range 3.9-10", "Below", "Above");
            table.AddRow(Num(summary, "meanGlucose"), Num(summary, "minGlucose"), Num(summary, "maxGlucose"),
                $"{Num(summary, "timeInRangePercent")} %", $"{Num(summary, "timeBelowRangePercent")} %", $"{Num(summary, "timeAboveRangePercent")} %");
            AnsiConsole.Write(table);
            AnsiConsole.MarkupLineInterpolated($"[grey]glucose in mmol/L; request {Text(s, "requestHash")}[/]");
        }));
        return command;
    }

    private static object ParseMeal(string text)
    {
        var parts = text.Split(':');
        double Part(int i) => double.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v
            : throw new UsageException($"--meal '{text}': '{parts[i]}' is not a number (MINUTE:GRAMS[:BOLUS_UNITS]).");
        if (parts.Length is < 2 or > 3) throw new UsageException($"--meal '{text}' is MINUTE:GRAMS[:BOLUS_UNITS], e.g. 420:45:4.5.");
        return new { atMinute = Part(0), carbohydrate = Part(1), bolusUnits = parts.Length == 3 ? Part(2) : 0 };
    }

    private static Command Retire()
    {
        var id = new Argument<string>("id") { Description = "Twin id" };
        var reason = new Option<string>("--reason") { Description = "Why the twin is retired", Required = true };
        var command = new Command("retire", "Retire the twin for good, with a reason") { id, reason };
        command.SetAction((parse, ct) => RunAsync(async () =>
        {
            using var api = ApiClient.From(parse);
            Write(parse, await api.SendAsync(HttpMethod.Post, PathOf(parse.GetValue(id)!, "retire"), new { reason = parse.GetValue(reason) }, ct: ct));
        }));
        return command;
    }

    private static Command Show()
    {
        var id = new Argument<string>("id") { Description = "Twin id" };
        var command = new Command("show", "A twin with what it rests on, its calibration, validation, scenarios and credibility record") { id };
        command.SetAction((parse, ct) => RunAsync(async () =>
        {
            using var api = ApiClient.From(parse);
            var twin = await api.GetAsync(PathOf(parse.GetValue(id)!), ct);
            if (parse.GetValue(CliSettings.Json)) { CliJson.Print(twin); return; }
            WriteTwin(twin, credibility: true);
        }));
        return command;
    }

    private static Command List()
    {
        var command = new Command("list", "Your twins (every twin for auditors)");
        command.SetAction((parse, ct) => RunAsync(async () =>
        {
            using var api = ApiClient.From(parse);
            var page = await api.GetAllPagesAsync(TwinsPath, 100, ct);
            if (parse.GetValue(CliSettings.Json)) { CliJson.Print(page); return; }
            var table = new Table().Border(TableBorder.Rounded).AddColumns("Id", "Name", "Model", "Data", "Status", "Scenarios").KeepingIds();
            foreach (var t in page.GetProperty("items").EnumerateArray())
                table.AddRow(Markup.Escape(Text(t, "id")), Markup.Escape(Text(t, "name")), Markup.Escape($"{Text(t, "modelId")}@{Text(t, "modelVersion")}"),
                    Markup.Escape(Text(t, "datasetId") is { Length: > 0 } d ? $"{d}@{Text(t, "datasetVersion")} {Text(t, "subjectPseudonym")}" : "-"),
                    Markup.Escape(Text(t, "status")), Markup.Escape(Text(t, "scenarios")));
            AnsiConsole.Write(table);
            AnsiConsole.MarkupLineInterpolated($"[grey]{page.GetProperty("total")} twin(s)[/]");
        }));
        return command;
    }

    private static Command Export()
    {
        var id = new Argument<string>("id") { Description = "Twin id" };
        var scenario = new Option<string?>("--scenario") { Description = "Scenario id (default: the latest scenario test)" };
        var output = new Option<FileInfo?>("--out", "-o") { Description = "Write the FHIR Bundle to this file (default: standard output)" };
        var command = new Command("export", "A scenario's predictions as a FHIR R4 Bundle (Observations, DiagnosticReport, Provenance)") { id, scenario, output };
        command.SetAction((parse, ct) => RunAsync(async () =>
        {
            using var api = ApiClient.From(parse);
            var path = PathOf(parse.GetValue(id)!, "fhir") + (parse.GetValue(scenario) is { } s ? $"?scenario={Uri.EscapeDataString(s)}" : "");
            var response = await api.SendRawAsync(HttpMethod.Get, path, accept: "application/fhir+json", ct: ct);
            if (!response.IsSuccess) throw ApiClient.ErrorOf(response);
            if (parse.GetValue(output) is { } file)
            {
                await File.WriteAllTextAsync(file.FullName, response.Body, ct);
                var entries = JsonDocument.Parse(response.Body).RootElement.TryGetProperty("entry", out var list) ? list.GetArrayLength() : 0;
                if (parse.GetValue(CliSettings.Json)) CliJson.Print(JsonSerializer.SerializeToElement(new { path = file.FullName, resources = entries }));
                else AnsiConsole.MarkupLineInterpolated($"Wrote {entries} FHIR resources to [bold]{file.FullName}[/].");
            }
            else Console.Out.WriteLine(response.Body);
        }));
        return command;
    }

    private static void Write(ParseResult parse, JsonElement twin)
    {
        if (parse.GetValue(CliSettings.Json)) CliJson.Print(twin);
        else WriteTwin(twin, credibility: false);
    }

    private static string Num(JsonElement e, string name, string format = "0.##") =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble().ToString(format, CultureInfo.InvariantCulture) : "-";

    private static void WriteTwin(JsonElement twin, bool credibility)
    {
        var grid = new Grid().AddColumn(new GridColumn().NoWrap()).AddColumn();
        void Row(string label, string? value)
        {
            if (!string.IsNullOrEmpty(value)) grid.AddRow($"[bold]{label}[/]", Markup.Escape(value));
        }
        Row("Twin", $"{Text(twin, "id")} ({Text(twin, "name")}), version {Text(twin, "version")}");
        Row("Status", Text(twin, "status"));
        if (twin.TryGetProperty("staleReasons", out var stale)) foreach (var r in stale.EnumerateArray()) Row("Stale", $"{Text(r, "cause")}: {Text(r, "reason")}");
        if (twin.TryGetProperty("notices", out var notices)) foreach (var n in notices.EnumerateArray()) Row("Notice", n.GetString() ?? "");
        Row("Model", $"{Text(twin, "modelId")}@{Text(twin, "modelVersion")} on {Text(twin, "engineVersion")}");
        Row("Question", Text(twin, "questionOfInterest"));
        Row("Context of use", Text(twin, "contextOfUse"));
        Row("Purpose", Text(twin, "purpose"));
        if (twin.TryGetProperty("data", out var d) && d.ValueKind == JsonValueKind.Object)
        {
            var g = d.GetProperty("glucose");
            Row("Data", $"{Text(d, "datasetId")}@{Text(d, "datasetVersion")} ({Text(d, "datasetInstitution")}), subject {Text(d, "subjectPseudonym")}, grant {Text(d, "grantId", "(owner's member)")}");
            Row("Observations", $"{Text(g, "count")} glucose, {Time(g, "from")} to {Time(g, "to")}; {Text(d, "meals")} meals, {Text(d, "boluses")} boluses");
        }
        AnsiConsole.Write(grid);

        if (twin.TryGetProperty("calibration", out var c) && c.ValueKind == JsonValueKind.Object)
        {
            var fit = c.GetProperty("fit");
            var table = new Table().Border(TableBorder.Rounded).Title("Calibration").AddColumns("Parameter", "Estimate", "Std. error", "Unit");
            foreach (var p in c.GetProperty("parameters").EnumerateArray())
                table.AddRow(Markup.Escape(Text(p, "name")), Num(p, "estimate", "G4"), Num(p, "standardError", "G2"), Markup.Escape(Text(p, "unit")));
            var converged = fit.TryGetProperty("converged", out var cv) && cv.ValueKind == JsonValueKind.True;
            // Short enough for the table's width (a caption wraps at it): σ² is the residual variance.
            table.Caption($"{(converged ? "converged" : "not converged (its last step)")} · RMSE {Num(fit, "rmse")} mmol/L · σ² {Num(fit, "residualVariance")}");
            AnsiConsole.Write(table);
        }
        if (twin.TryGetProperty("validation", out var v) && v.ValueKind == JsonValueKind.Object)
        {
            var m = v.GetProperty("metrics");
            var passed = v.GetProperty("passed").GetBoolean();
            var table = new Table().Border(TableBorder.Rounded).Title("Validation on held-out data").AddColumns("n", "RMSE", "MAE", "MARD %", "Bias", "Coverage", "Result");
            table.AddRow(Text(m, "count"), Num(m, "rmse"), Num(m, "mae"), Num(m, "mardPercent", "0.0"), Num(m, "bias"), Num(m, "coverage", "0.00"),
                passed ? "[green]pass[/]" : $"[red]fail[/] {Markup.Escape(string.Join("; ", v.GetProperty("failures").EnumerateArray().Select(f => f.GetString())))}");
            AnsiConsole.Write(table);
        }
        if (twin.TryGetProperty("scenarios", out var scenarios) && scenarios.GetArrayLength() > 0)
        {
            var table = new Table().Border(TableBorder.Rounded).Title("Scenario tests").AddColumns("Id", "Name", "Mean", "In range %", "Below %", "Request").KeepingIds();
            foreach (var s in scenarios.EnumerateArray())
            {
                var sum = s.GetProperty("summary");
                table.AddRow(Markup.Escape(Text(s, "scenarioId")), Markup.Escape(Text(s.GetProperty("scenario"), "name")), Num(sum, "meanGlucose"),
                    Num(sum, "timeInRangePercent"), Num(sum, "timeBelowRangePercent"), Markup.Escape(Text(s, "requestHash")[..12]));
            }
            AnsiConsole.Write(table);
        }
        if (credibility && twin.TryGetProperty("credibility", out var cred))
        {
            var table = new Table().Border(TableBorder.Rounded).Title("Credibility (ASME V&V 40)").AddColumns("Factor", "Required", "Achieved", "Evidence");
            foreach (var f in cred.GetProperty("factors").EnumerateArray())
                table.AddRow(Markup.Escape(Text(f, "factor")), Text(f, "required"), Text(f, "achieved"),
                    Markup.Escape(string.Join("; ", f.GetProperty("evidence").EnumerateArray().Select(e => e.GetString()))));
            table.Caption(Markup.Escape(Text(cred.GetProperty("header"), "adequacyAssessment")));
            AnsiConsole.Write(table);
        }
    }
}
