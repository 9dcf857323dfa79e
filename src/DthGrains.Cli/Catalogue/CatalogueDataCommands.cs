using System.CommandLine;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using DthGrains.Cli.Platform;
using DthGrains.Contracts.Platform;
using Spectre.Console;

namespace DthGrains.Cli.Catalogue;

/// <summary>Dataset payloads (FHIR R4 Bundles, errors as OperationOutcome) and the JSON-LD export.</summary>
public static partial class CatalogueCommands
{
    private static Command Upload()
    {
        var id = new Argument<string>("id") { Description = "Dataset id (of your institution)" };
        var bundle = new Option<FileSystemInfo[]>("--bundle")
        {
            Description = "FHIR R4 Bundle (JSON) holding the version's content; repeat it, or give a folder (its Bundle files, e.g. from 'dth synth'), to send several as one version",
            Required = true,
        };
        bundle.AcceptExistingOnly();
        var version = new Option<string>("--version") { Description = "Semantic version of the new dataset version", Required = true };
        var notes = new Option<string?>("--notes") { Description = "Release notes (default: Version <v>)" };
        var command = new Command("upload", "Upload a FHIR Bundle as a new dataset version (all or nothing)") { id, bundle, version, notes };
        command.SetAction((parse, ct) => RunAsync(async () =>
        {
            var files = BundleFiles.Expand(parse.GetValue(bundle)!);
            var v = parse.GetValue(version)!;
            var path = $"{ResourcePath(parse.GetValue(id)!)}/versions?version={Uri.EscapeDataString(v)}"
                       + (parse.GetValue(notes) is { } n ? "&notes=" + Uri.EscapeDataString(n) : "");
            using var api = ApiClient.From(parse);
            // One file goes as it is (streamed); several are merged into one bundle first.
            HttpContent content;
            string what;
            if (files.Count == 1)
            {
                content = new StreamContent(files[0].OpenRead());
                what = $"{files[0].Name} ({ByteSize.Format(files[0].Length)})";
            }
            else
            {
                var read = new List<(string, JsonNode?)>();
                foreach (var f in files) read.Add((f.Name, JsonNode.Parse(await File.ReadAllBytesAsync(f.FullName, ct))));
                var (merged, error) = BundleFiles.Merge(read);
                if (merged is null) throw new UsageException(error!);
                var bytes = JsonSerializer.SerializeToUtf8Bytes(merged);
                content = new ByteArrayContent(bytes);
                what = $"{files.Count} bundles as one ({merged["entry"]!.AsArray().Count:N0} entries, {ByteSize.Format(bytes.Length)})";
            }
            using var _ = content;
            content.Headers.ContentType = new MediaTypeHeaderValue(FhirJson);
            var json = parse.GetValue(CliSettings.Json);
            var response = json
                ? await api.SendRawAsync(HttpMethod.Post, path, content, "application/json", ct)
                : await AnsiConsole.Status().StartAsync(Markup.Escape($"Uploading {what} as version {v}..."),
                    _ => api.SendRawAsync(HttpMethod.Post, path, content, "application/json", ct));
            if (!response.IsSuccess) throw Refusal(parse, response, "The bundle was refused; nothing was stored");
            var view = JsonDocument.Parse(response.Body).RootElement;
            if (json) { CliJson.Print(view); return; }
            var added = view.GetProperty("versions").EnumerateArray().FirstOrDefault(x => Text(x, "version") == v);
            AnsiConsole.MarkupLineInterpolated($"[green]Uploaded[/] {Text(view, "id")} {v}: {(added.ValueKind == JsonValueKind.Object ? DatasetSummary(added) : "")}");
            if (added.ValueKind == JsonValueKind.Object) AnsiConsole.MarkupLineInterpolated($"[grey]checksum {Text(added, "checksum")}[/]");
        }));
        return command;
    }

    private static Command Payload()
    {
        var id = new Argument<string>("id") { Description = "Dataset id" };
        var version = new Option<string>("--version") { Description = "Dataset version", Required = true };
        var purpose = new Option<string?>("--purpose") { Description = "Why you read it, as a code (scientific-research, quality-check...), recorded in the access log" };
        var output = new Option<FileInfo?>("--out") { Description = "Write the FHIR Bundle to this file" };
        var command = new Command("payload", "Read a dataset version's FHIR content (members of the owning institution)") { id, version, purpose, output };
        command.SetAction((parse, ct) => RunAsync(async () =>
        {
            var v = parse.GetValue(version)!;
            var path = $"{ResourcePath(parse.GetValue(id)!)}/versions/{Uri.EscapeDataString(v)}/payload"
                       + (parse.GetValue(purpose) is { } p ? "?purpose=" + Uri.EscapeDataString(p) : "");
            using var api = ApiClient.From(parse);
            var response = await api.SendRawAsync(HttpMethod.Get, path, accept: FhirJson, ct: ct);
            if (!response.IsSuccess) throw Refusal(parse, response, "The payload cannot be read");
            if (parse.GetValue(output) is { } file)
            {
                await File.WriteAllTextAsync(file.FullName, response.Body, ct);
                if (parse.GetValue(CliSettings.Json)) CliJson.Print(JsonSerializer.SerializeToElement(new { path = file.FullName, bytes = new FileInfo(file.FullName).Length }));
                else AnsiConsole.MarkupLineInterpolated($"[green]Wrote[/] {parse.GetValue(id)} {v} to {file.FullName}");
                return;
            }
            using var doc = JsonDocument.Parse(response.Body);
            var counts = (doc.RootElement.TryGetProperty("entry", out var entries) && entries.ValueKind == JsonValueKind.Array ? entries.EnumerateArray() : default)
                .Select(e => e.TryGetProperty("resource", out var r) ? Text(r, "resourceType", "?") : "?")
                .GroupBy(t => t, StringComparer.Ordinal).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.Count());
            // The subjects' pseudonyms are what 'dth twin link --subject' asks for.
            var subjects = (entries.ValueKind == JsonValueKind.Array ? entries.EnumerateArray() : default)
                .Where(e => e.TryGetProperty("resource", out var r) && Text(r, "resourceType", "") == "Patient")
                .Select(e => Text(e.GetProperty("resource"), "id", "")).Where(s => s.Length > 0).ToList();
            if (parse.GetValue(CliSettings.Json))
            {
                CliJson.Print(JsonSerializer.SerializeToElement(new { id = parse.GetValue(id), version = v, total = counts.Values.Sum(), resourcesByType = counts, subjects }, CliJson.Options));
                return;
            }
            var table = new Table().Border(TableBorder.Rounded).Title($"{Markup.Escape(parse.GetValue(id)!)} {Markup.Escape(v)}").AddColumns("Resource type", "Count");
            foreach (var (type, count) in counts) table.AddRow(Markup.Escape(type), count.ToString(System.Globalization.CultureInfo.InvariantCulture));
            table.AddRow("[bold]Total[/]", $"[bold]{counts.Values.Sum()}[/]");
            AnsiConsole.Write(table);
            if (subjects.Count > 0)
            {
                const int shown = 20;
                var more = subjects.Count > shown ? $" and {subjects.Count - shown} more (--json lists all)" : "";
                AnsiConsole.MarkupLineInterpolated($"Subjects: {string.Join(", ", subjects.Take(shown))}{more}");
                AnsiConsole.MarkupLineInterpolated($"[grey]A twin of one: dth twin link <twin> --dataset {parse.GetValue(id)} --dataset-version {v} --subject {subjects[0]}[/]");
            }
        }));
        return command;
    }

    private static Command Export()
    {
        var output = new Option<FileInfo?>("--out") { Description = "Write the JSON-LD to this file (default: standard output)" };
        var command = new Command("export", "The visible catalogue as DCAT-AP / HealthDCAT-AP JSON-LD") { output };
        command.SetAction((parse, ct) => RunAsync(async () =>
        {
            using var api = ApiClient.From(parse);
            var response = await api.SendRawAsync(HttpMethod.Get, "api/catalogue/export", accept: JsonLd, ct: ct);
            if (!response.IsSuccess) throw ApiClient.ErrorOf(response);
            if (parse.GetValue(output) is not { } file)
            {
                Console.Out.WriteLine(response.Body);
                return;
            }
            await File.WriteAllTextAsync(file.FullName, response.Body, ct);
            using var doc = JsonDocument.Parse(response.Body);
            int Count(string name) => doc.RootElement.TryGetProperty(name, out var a) && a.ValueKind == JsonValueKind.Array ? a.GetArrayLength() : 0;
            if (parse.GetValue(CliSettings.Json))
                CliJson.Print(JsonSerializer.SerializeToElement(new { path = file.FullName, datasets = Count("dcat:dataset"), resources = Count("dcat:resource") }));
            else
                AnsiConsole.MarkupLineInterpolated($"[green]Wrote[/] {Count("dcat:dataset")} datasets and {Count("dcat:resource")} other resources to {file.FullName}");
        }));
        return command;
    }

    /// <summary>Prints a failed FHIR answer's OperationOutcome (a table, or the JSON with --json) and returns the error to end the command with.</summary>
    private static ApiException Refusal(ParseResult parse, RawResponse response, string what)
    {
        JsonElement outcome;
        try
        {
            outcome = JsonDocument.Parse(response.Body).RootElement;
        }
        catch (JsonException)
        {
            return ApiClient.ErrorOf(response);
        }
        if (outcome.ValueKind != JsonValueKind.Object || Text(outcome, "resourceType") != "OperationOutcome") return ApiClient.ErrorOf(response);
        var issues = outcome.TryGetProperty("issue", out var list) && list.ValueKind == JsonValueKind.Array ? list.EnumerateArray().ToList() : [];
        if (parse.GetValue(CliSettings.Json)) CliJson.Print(outcome);
        else
        {
            var table = new Table().Border(TableBorder.Rounded).Title("OperationOutcome").AddColumns("Severity", "Code", "Expression", "Diagnostics");
            foreach (var issue in issues)
            {
                var severity = Text(issue, "severity");
                var expression = issue.TryGetProperty("expression", out var ex) && ex.ValueKind == JsonValueKind.Array ? string.Join(", ", ex.EnumerateArray().Select(x => x.GetString())) : "";
                var diagnostics = Text(issue, "diagnostics");
                if (diagnostics.Length == 0 && issue.TryGetProperty("details", out var details) && details.ValueKind == JsonValueKind.Object) diagnostics = Text(details, "text");
                table.AddRow(severity is "error" or "fatal" ? $"[red]{Markup.Escape(severity)}[/]" : Markup.Escape(severity),
                    Markup.Escape(Text(issue, "code")), Markup.Escape(expression), Markup.Escape(diagnostics));
            }
            AnsiConsole.Write(table);
        }
        return new ApiException(response.Status, $"{what}: {issues.Count} issue(s).");
    }
}
