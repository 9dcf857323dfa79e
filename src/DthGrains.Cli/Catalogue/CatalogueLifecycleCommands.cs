using System.CommandLine;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using DthGrains.Cli.Platform;
using Spectre.Console;

namespace DthGrains.Cli.Catalogue;

/// <summary>Drafting, releasing and the lifecycle of one resource; V&amp;V 40 credibility records.</summary>
public static partial class CatalogueCommands
{
    private static Command Create()
    {
        var kind = new Option<string>("--kind") { Description = "model, method, dataset or twin", Required = true };
        kind.AcceptOnlyFromAmong(Kinds);
        var file = new Option<FileInfo>("--file") { Description = "JSON file holding the metadata object (title, description, contactPoint, licence, accessRights, ...)", Required = true };
        file.AcceptExistingOnly();
        var id = new Option<string?>("--id") { Description = "Resource id (default: a slug of the title)" };
        var command = new Command("create", "Draft a resource for your institution") { kind, file, id };
        command.SetAction((parse, ct) => RunAsync(async () =>
        {
            var metadata = await ReadJsonFileAsync(parse.GetValue(file)!, ct);
            if (metadata is not JsonObject) throw new UsageException($"{parse.GetValue(file)!.Name} must hold the metadata object, not {metadata.GetValueKind().ToString().ToLowerInvariant()}.");
            var body = new JsonObject { ["kind"] = parse.GetValue(kind), ["metadata"] = metadata };
            if (parse.GetValue(id) is { } given) body["id"] = given;
            using var api = ApiClient.From(parse);
            var created = await api.SendAsync(HttpMethod.Post, "api/catalogue/resources", body, ct: ct);
            Report(parse, created, "Drafted");
        }));
        return command;
    }

    private static Command Publish()
    {
        var id = new Argument<string>("id") { Description = "Resource id" };
        var command = new Command("publish", "Publish a draft that has a released version") { id };
        command.SetAction((parse, ct) => RunAsync(async () =>
        {
            using var api = ApiClient.From(parse);
            Report(parse, await api.SendAsync(HttpMethod.Post, ResourcePath(parse.GetValue(id)!) + "/publish", ct: ct), "Published");
        }));
        return command;
    }

    private static Command Deprecate() => WithReason("deprecate", "Deprecate a published resource, with a reason", "Deprecated");

    private static Command Withdraw() => WithReason("withdraw", "Withdraw a resource, with a reason", "Withdrew");

    private static Command WithReason(string name, string description, string verb)
    {
        var id = new Argument<string>("id") { Description = "Resource id" };
        var reason = new Option<string>("--reason") { Description = "Why, for the people who use it", Required = true };
        var command = new Command(name, description) { id, reason };
        command.SetAction((parse, ct) => RunAsync(async () =>
        {
            using var api = ApiClient.From(parse);
            Report(parse, await api.SendAsync(HttpMethod.Post, $"{ResourcePath(parse.GetValue(id)!)}/{name}", new { reason = parse.GetValue(reason) }, ct: ct), verb);
        }));
        return command;
    }

    private static Command Release()
    {
        var id = new Argument<string>("id") { Description = "Resource id (a model, method or twin; datasets get versions by upload)" };
        var version = new Option<string>("--version") { Description = "Semantic version, e.g. 1.2.0 or 2.0.0-rc.1", Required = true };
        var notes = new Option<string>("--notes") { Description = "Release notes", Required = true };
        var checksum = new Option<string?>("--checksum") { Description = "Checksum of the version's artefacts, e.g. sha256:<hex>" };
        var artefact = new Option<FileInfo>("--artefact") { Description = "Artefact file whose SHA-256 becomes the checksum" };
        artefact.AcceptExistingOnly();
        var conformsTo = new Option<string[]>("--conforms-to") { Description = "Standards this version conforms to (default: the metadata's; repeatable)" };
        var command = new Command("release", "Release an immutable version") { id, version, notes, checksum, artefact, conformsTo };
        command.Validators.Add(result =>
        {
            var given = (result.GetResult(checksum) is { Implicit: false } ? 1 : 0) + (result.GetResult(artefact) is { Implicit: false } ? 1 : 0);
            if (given != 1) result.AddError("Give exactly one of --checksum sha256:<hex> or --artefact FILE.");
        });
        command.SetAction((parse, ct) => RunAsync(async () =>
        {
            var sum = parse.GetValue(checksum);
            if (parse.GetValue(artefact) is { } file)
            {
                await using var stream = file.OpenRead();
                sum = "sha256:" + Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, ct));
            }
            var conforms = parse.GetValue(conformsTo);
            using var api = ApiClient.From(parse);
            var released = await api.SendAsync(HttpMethod.Post, ResourcePath(parse.GetValue(id)!) + "/versions", new
            {
                version = parse.GetValue(version), releaseNotes = parse.GetValue(notes), checksum = sum, conformsTo = conforms is { Length: > 0 } ? conforms : null,
            }, ct: ct);
            if (parse.GetValue(CliSettings.Json)) { CliJson.Print(released); return; }
            AnsiConsole.MarkupLineInterpolated($"[green]Released[/] {Text(released, "id")} {parse.GetValue(version)} [grey]({sum})[/]; latest version {Text(released, "latestVersion")}, status {Text(released, "status")}");
        }));
        return command;
    }

    private static Command Credibility()
    {
        var id = new Argument<string>("id") { Description = "Model id" };
        var version = new Option<string>("--version") { Description = "The model version the record is about", Required = true };
        var file = new Option<FileInfo>("--file") { Description = "JSON file: {header: {questionOfInterest, contextOfUse, modelInfluence, decisionConsequence}, factors: [{factor, required, achieved, evidence}]}", Required = true };
        file.AcceptExistingOnly();
        var command = new Command("credibility", "Record the ASME V&V 40 credibility of a model version") { id, version, file };
        command.SetAction((parse, ct) => RunAsync(async () =>
        {
            var record = await ReadJsonFileAsync(parse.GetValue(file)!, ct);
            var v = parse.GetValue(version)!;
            using var api = ApiClient.From(parse);
            var view = await api.SendAsync(HttpMethod.Put, $"{ResourcePath(parse.GetValue(id)!)}/versions/{Uri.EscapeDataString(v)}/credibility", record, ct: ct);
            if (parse.GetValue(CliSettings.Json)) { CliJson.Print(view); return; }
            var target = view.GetProperty("versions").EnumerateArray().FirstOrDefault(x => Text(x, "version") == v);
            if (target.ValueKind != JsonValueKind.Object || !target.TryGetProperty("credibility", out var c) || c.ValueKind != JsonValueKind.Object)
            {
                AnsiConsole.MarkupLineInterpolated($"[green]Recorded[/] credibility of {Text(view, "id")} {v}");
                return;
            }
            var header = c.GetProperty("header");
            AnsiConsole.MarkupLineInterpolated($"[green]Recorded[/] credibility of {Text(view, "id")} {v}: level {CredibilityLevel(target)}, model risk {Text(header, "modelRisk", "?")} (influence {Text(header, "modelInfluence")} × consequence {Text(header, "decisionConsequence")})");
            var table = new Table().Border(TableBorder.Rounded).AddColumns("Factor", "Required", "Achieved", "Evidence");
            foreach (var f in c.GetProperty("factors").EnumerateArray())
            {
                var short_ = f.GetProperty("achieved").GetInt32() < f.GetProperty("required").GetInt32();
                table.AddRow(Markup.Escape(Text(f, "factor")), Text(f, "required"), short_ ? $"[yellow]{Text(f, "achieved")}[/]" : Text(f, "achieved"),
                    Markup.Escape(f.TryGetProperty("evidence", out var e) && e.ValueKind == JsonValueKind.Array ? string.Join("\n", e.EnumerateArray().Select(x => x.GetString())) : ""));
            }
            AnsiConsole.Write(table);
        }));
        return command;
    }

    private static void Report(ParseResult parse, JsonElement view, string verb)
    {
        if (parse.GetValue(CliSettings.Json)) { CliJson.Print(view); return; }
        var latest = Text(view, "latestVersion");
        AnsiConsole.MarkupLineInterpolated(
            $"[green]{verb}[/] {Text(view, "kind")} {Text(view, "id")}: status {Text(view, "status")}, latest version {(latest.Length == 0 ? "none yet" : latest)}, stream version {Text(view, "streamVersion")}");
    }
}
