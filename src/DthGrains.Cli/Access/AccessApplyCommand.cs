using System.CommandLine;
using System.Text.Json.Nodes;
using DthGrains.Cli.Catalogue;
using DthGrains.Cli.Platform;
using Spectre.Console;
using static DthGrains.Cli.Catalogue.CatalogueCommands;

namespace DthGrains.Cli.Access;

/// <summary><c>dth access apply</c>: an EHDS data access application, from a JSON file or from options.</summary>
public static partial class AccessCommands
{
    private static Command Apply()
    {
        var file = new Option<FileInfo>("--file") { Description = "JSON file holding the application (title, purpose, intendedUse, expectedBenefit, datasets, actions, ...)" };
        file.AcceptExistingOnly();
        var title = new Option<string?>("--title") { Description = "Title of the project" };
        // The values are in the description: a help name keeps the options column narrow (eight values would widen it to 150 characters).
        var purpose = new Option<string?>("--purpose") { Description = $"EHDS Art. 53 purpose: {string.Join(", ", Purposes)}", HelpName = "purpose" };
        purpose.AcceptOnlyFromAmong(Purposes);
        var datasets = new Option<string[]>("--dataset") { Description = "A requested dataset id (repeatable)" };
        var actions = new Option<string[]>("--action") { Description = $"A permitted action you need: {string.Join(", ", Actions)} (repeatable)" };
        actions.AcceptOnlyFromAmong(Actions);
        var months = new Option<int?>("--months") { Description = "Estimated processing period in months, 1 to 60" };
        months.Validators.Add(r => { if (r.GetValueOrDefault<int?>() is < 1 or > 60) r.AddError("--months is the processing period, 1 to 60 months."); });
        var intendedUse = new Option<string?>("--intended-use") { Description = "The detailed intended use of the data" };
        var benefit = new Option<string?>("--benefit") { Description = "The expected benefit" };
        var safeguards = new Option<string?>("--safeguards") { Description = "Safeguards against misuse and re-identification" };
        var pseudonymised = new Option<bool>("--pseudonymised") { Description = "Ask for pseudonymised rather than anonymised data (needs --justification)" };
        var justification = new Option<string?>("--justification") { Description = "Why anonymised data do not suffice (EHDS Art. 68)" };
        var persons = new Option<string[]>("--person") { Description = "Id of another person who will have access (repeatable)" };
        var command = new Command("apply", "Apply for access to datasets for a declared purpose")
        {
            file, title, purpose, datasets, actions, months, intendedUse, benefit, safeguards, pseudonymised, justification, persons,
        };
        Option[] fields = [title, purpose, datasets, actions, months, intendedUse, benefit, safeguards, pseudonymised, justification, persons];
        Option[] required = [title, purpose, datasets, actions, months, intendedUse, benefit, safeguards];
        command.Validators.Add(result =>
        {
            bool Given(Option o) => result.GetResult(o) is { Implicit: false };
            if (Given(file))
            {
                if (fields.Any(Given)) result.AddError("Give either --file or the application options, not both.");
                return;
            }
            var missing = required.Where(o => !Given(o)).Select(o => o.Name).ToList();
            if (missing.Count > 0) result.AddError($"Give --file APPLICATION.json, or the application options; missing: {string.Join(", ", missing)}.");
            else if (result.GetValue(pseudonymised) && string.IsNullOrWhiteSpace(result.GetValue(justification)))
                result.AddError("--pseudonymised needs --justification: why anonymised data do not suffice (EHDS Art. 68).");
        });
        command.SetAction((parse, ct) => RunAsync(async () =>
        {
            JsonNode body;
            if (parse.GetValue(file) is { } f)
            {
                body = await ReadJsonFileAsync(f, ct);
                if (body is not JsonObject) throw new UsageException($"{f.Name} must hold the application object, not {body.GetValueKind().ToString().ToLowerInvariant()}.");
            }
            else
            {
                var application = new JsonObject
                {
                    ["title"] = parse.GetValue(title),
                    ["purpose"] = parse.GetValue(purpose),
                    ["intendedUse"] = parse.GetValue(intendedUse),
                    ["expectedBenefit"] = parse.GetValue(benefit),
                    ["datasets"] = Array(parse.GetValue(datasets) ?? []),
                    ["actions"] = Array(parse.GetValue(actions) ?? []),
                    ["pseudonymised"] = parse.GetValue(pseudonymised),
                    ["safeguards"] = parse.GetValue(safeguards),
                    ["processingMonths"] = parse.GetValue(months),
                    ["persons"] = Array(parse.GetValue(persons) ?? []),
                };
                if (parse.GetValue(justification) is { } why) application["pseudonymisationJustification"] = why;
                body = application;
            }
            using var api = ApiClient.From(parse);
            var view = await api.SendAsync(HttpMethod.Post, RequestsPath, body, ct: ct);
            if (parse.GetValue(CliSettings.Json)) { CliJson.Print(view); return; }
            AnsiConsole.MarkupLineInterpolated($"Submitted access request [bold]{Text(view, "id")}[/]: status {Text(view, "status")}");
            if (AwaitedOwners(view) is { Length: > 0 } owners) AnsiConsole.MarkupLineInterpolated($"[grey]awaiting the stewards of {owners}[/]");
        }));
        return command;
    }

    /// <summary>The institutions whose stewards have yet to decide, comma-separated ("" when none is awaited).</summary>
    internal static string AwaitedOwners(System.Text.Json.JsonElement view)
    {
        if (Text(view, "status") is not ("submitted" or "under-review")) return "";
        return view.TryGetProperty("reviews", out var reviews) && reviews.ValueKind == System.Text.Json.JsonValueKind.Array
            ? string.Join(", ", reviews.EnumerateArray().Where(r => Text(r, "decision") is "pending" or "").Select(r => Text(r, "institution")))
            : "";
    }
}
