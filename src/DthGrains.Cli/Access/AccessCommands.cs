using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DthGrains.Cli.Platform;
using DthGrains.Contracts.Governance;
using Spectre.Console;
using static DthGrains.Cli.Catalogue.CatalogueCommands;
using static DthGrains.Cli.Platform.CliText;

namespace DthGrains.Cli.Access;

/// <summary>
/// <c>dth access apply|list|watch|show|approve|refuse|return|revoke|grants</c>: EHDS data access applications, the
/// stewards' decisions and the grants, under <c>/api/access</c>.
/// </summary>
public static partial class AccessCommands
{
    internal const string RequestsPath = "api/access/requests";

    internal static readonly string[] Purposes = [.. Enum.GetValues<EhdsPurpose>().Select(Kebab)];
    internal static readonly string[] Actions = [.. Enum.GetValues<PermittedAction>().Select(Kebab)];
    internal static readonly string[] Statuses = [.. Enum.GetValues<ApplicationStatus>().Select(Kebab)];

    public static Command Build()
    {
        var command = new Command("access", "Data access applications, steward decisions and grants (EHDS Art. 67-69)");
        command.Subcommands.Add(Apply());
        command.Subcommands.Add(List());
        command.Subcommands.Add(Watch());
        command.Subcommands.Add(Show());
        command.Subcommands.Add(Approve());
        command.Subcommands.Add(Refuse());
        command.Subcommands.Add(Reasoned("return", "Return the application to the applicant for changes (all owners decide again)", "return", "Returned"));
        command.Subcommands.Add(Reasoned("revoke", "Revoke the grant, effective immediately", "revoke", "Revoked the grant of"));
        command.Subcommands.Add(Grants());
        return command;
    }

    private static Command List()
    {
        var pending = new Option<bool>("--pending") { Description = "The steward inbox: applications awaiting your institution's decision" };
        var status = new Option<string?>("--status") { Description = $"Only applications in this state: {string.Join(", ", Statuses)}", HelpName = "status" };
        status.AcceptOnlyFromAmong(Statuses);
        var limit = new Option<int?>("--limit") { Description = "Page size, 1 to 100 (default 50)" };
        limit.Validators.Add(r => { if (r.GetValueOrDefault<int?>() is < 1 or > 100) r.AddError("--limit is between 1 and 100."); });
        var offset = new Option<int?>("--offset") { Description = "Skip this many applications (default 0)" };
        offset.Validators.Add(r => { if (r.GetValueOrDefault<int?>() is < 0) r.AddError("--offset is 0 or more."); });
        var command = new Command("list", "Your applications; with --pending the steward inbox of your institution") { pending, status, limit, offset };
        command.SetAction((parse, ct) => RunAsync(async () =>
        {
            var url = new StringBuilder(RequestsPath).Append('?');
            if (parse.GetValue(pending)) url.Append("pending=true&");
            if (parse.GetValue(status) is { } s) url.Append("status=").Append(Uri.EscapeDataString(s)).Append('&');
            url.Append("offset=").Append((parse.GetValue(offset) ?? 0).ToString(CultureInfo.InvariantCulture));
            url.Append("&limit=").Append((parse.GetValue(limit) ?? 50).ToString(CultureInfo.InvariantCulture));
            using var api = ApiClient.From(parse);
            var page = await api.GetAsync(url.ToString(), ct);
            if (parse.GetValue(CliSettings.Json)) { CliJson.Print(page); return; }

            var items = page.GetProperty("items").EnumerateArray().ToList();
            var table = new Table().Border(TableBorder.Rounded)
                .AddColumns("Id", "Title", "Applicant", "Purpose", "Datasets", "Pending owners", "Status", "Submitted").KeepingIds();
            if (parse.GetValue(pending)) table.Title("Awaiting your institution's decision");
            foreach (var r in items)
                table.AddRow(Markup.Escape(Text(r, "id")), Markup.Escape(Text(r, "title")),
                    Markup.Escape(Applicant(r)),
                    Markup.Escape(Text(r, "purpose")), Markup.Escape(Join(r, "datasets")), Markup.Escape(Join(r, "pendingOwners", "-")),
                    Markup.Escape(Text(r, "status")), Markup.Escape(Time(r, "submittedAt")));
            AnsiConsole.Write(table);
            AnsiConsole.MarkupLineInterpolated($"[grey]{items.Count} shown of {page.GetProperty("total")}[/]");
        }));
        return command;
    }

    private static Command Show()
    {
        var id = new Argument<string>("id") { Description = "Access request id" };
        var command = new Command("show", "Show an application with its reviews and grant") { id };
        command.SetAction((parse, ct) => RunAsync(async () =>
        {
            using var api = ApiClient.From(parse);
            var view = await api.GetAsync(RequestPath(parse.GetValue(id)!), ct);
            if (parse.GetValue(CliSettings.Json)) { CliJson.Print(view); return; }
            WriteRequest(view);
        }));
        return command;
    }

    private static Command Grants()
    {
        var command = new Command("grants", "Grants you hold, or that cover your institution's datasets (stewards)");
        command.SetAction((parse, ct) => RunAsync(async () =>
        {
            using var api = ApiClient.From(parse);
            const int pageSize = 500;
            var grants = await api.GetArrayPagesAsync(read => $"api/access/grants?offset={read.Count}&limit={pageSize}", pageSize, ct);
            if (parse.GetValue(CliSettings.Json)) { CliJson.Print(grants); return; }
            var table = new Table().Border(TableBorder.Rounded).AddColumns("Id", "Datasets", "Purpose", "Actions", "Valid until", "Status").KeepingIds();
            var count = 0;
            foreach (var g in grants.EnumerateArray())
            {
                count++;
                table.AddRow(Markup.Escape(Text(g, "id")), Markup.Escape(DatasetVersions(g)), Markup.Escape(Text(g, "purpose")), Markup.Escape(Join(g, "actions")),
                    Markup.Escape(Time(g, "validUntil")), Markup.Escape(StatusWithReason(g)));
            }
            AnsiConsole.Write(table);
            AnsiConsole.MarkupLineInterpolated($"[grey]{count} grant(s)[/]");
        }));
        return command;
    }

    internal static void WriteRequest(JsonElement view)
    {
        var a = view.GetProperty("application");
        var grid = new Grid().AddColumn(new GridColumn().NoWrap()).AddColumn();
        void Row(string label, string? value)
        {
            if (!string.IsNullOrEmpty(value)) grid.AddRow($"[bold]{label}[/]", Markup.Escape(value));
        }
        Row("Id", Text(view, "id"));
        Row("Title", Text(a, "title"));
        Row("Applicant", Applicant(view));
        Row("Status", Text(view, "status") + (Text(view, "statusReason") is { Length: > 0 } reason ? $": {reason}" : ""));
        Row("Purpose", Text(a, "purpose"));
        Row("Intended use", Text(a, "intendedUse"));
        Row("Expected benefit", Text(a, "expectedBenefit"));
        Row("Datasets", Join(a, "datasets"));
        Row("Variables", Join(a, "variables"));
        Row("Actions", Join(a, "actions"));
        Row("Data", a.TryGetProperty("pseudonymised", out var p) && p.ValueKind == JsonValueKind.True
            ? "pseudonymised: " + Text(a, "pseudonymisationJustification")
            : "anonymised");
        Row("Safeguards", Text(a, "safeguards"));
        Row("Data linking", Text(a, "dataLinking"));
        Row("Processing period", Text(a, "processingMonths") is { Length: > 0 } months ? $"{months} month(s)" : null);
        Row("Tools", Text(a, "tools"));
        Row("Ethics approval", Text(a, "ethicsApprovalReference"));
        Row("Persons", Join(a, "persons"));
        Row("Submitted", Time(view, "submittedAt"));
        Row("Updated", Time(view, "updatedAt"));
        Row("Version (ETag)", Text(view, "version"));
        AnsiConsole.Write(grid);

        var reviews = new Table().Border(TableBorder.Rounded).Title("Reviews").AddColumns("Institution", "Datasets", "Decision", "By", "At", "Reason", "Conditions");
        if (view.TryGetProperty("reviews", out var slots) && slots.ValueKind == JsonValueKind.Array)
            foreach (var slot in slots.EnumerateArray())
                reviews.AddRow(Markup.Escape(Text(slot, "institution")), Markup.Escape(Join(slot, "datasets")), Markup.Escape(Text(slot, "decision")),
                    Markup.Escape(Text(slot, "decidedBy", "-")), Markup.Escape(Time(slot, "decidedAt", "-")), Markup.Escape(Text(slot, "reason", "-")),
                    Markup.Escape(Join(slot, "conditions", "-")));
        AnsiConsole.Write(reviews);

        if (view.TryGetProperty("grant", out var g) && g.ValueKind == JsonValueKind.Object)
        {
            var grant = new Table().Border(TableBorder.Rounded).Title("Grant").AddColumns(new TableColumn("").NoWrap(), new TableColumn(""));
            grant.HideHeaders();
            void GrantRow(string label, string value) => grant.AddRow($"[bold]{label}[/]", Markup.Escape(value));
            GrantRow("Id", Text(g, "id"));
            GrantRow("Status", StatusWithReason(g));
            GrantRow("Valid from", Time(g, "validFrom"));
            GrantRow("Valid until", Time(g, "validUntil"));
            GrantRow("Principals", Join(g, "principals"));
            GrantRow("Datasets", DatasetVersions(g));
            GrantRow("Purpose", Text(g, "purpose"));
            GrantRow("Actions", Join(g, "actions"));
            GrantRow("Conditions", Join(g, "conditions", "none"));
            AnsiConsole.Write(grant);
        }
        else
        {
            AnsiConsole.MarkupLine("[grey]No grant issued.[/]");
        }
    }

    internal static string RequestPath(string id) => $"{RequestsPath}/{Uri.EscapeDataString(id)}";

    internal static string Kebab<TEnum>(TEnum value) where TEnum : struct, Enum => JsonNamingPolicy.KebabCaseLower.ConvertName(value.ToString());

    internal static string Join(JsonElement e, string name, string missing = "") =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Array && v.GetArrayLength() > 0
            ? string.Join(", ", v.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.String ? x.GetString() : x.ToString()))
            : missing;

    /// <summary>
    /// The status with its reason: "expired", "revoked by charite: ethics approval withdrawn" (a reason that starts with
    /// the status reads alone, not "revoked: revoked by …").
    /// </summary>
    internal static string StatusWithReason(JsonElement e) =>
        (Text(e, "status"), Text(e, "statusReason")) switch
        {
            (var status, { Length: > 0 } why) when why.StartsWith(status, StringComparison.OrdinalIgnoreCase) => why,
            (var status, { Length: > 0 } why) => $"{status}: {why}",
            (var status, _) => status,
        };

    /// <summary>"dataset@version" for each dataset a grant covers.</summary>
    private static string DatasetVersions(JsonElement grant) =>
        grant.TryGetProperty("datasetVersions", out var v) && v.ValueKind == JsonValueKind.Object
            ? string.Join(", ", v.EnumerateObject().Select(p => $"{p.Name}@{p.Value.GetString()}"))
            : Join(grant, "datasets");

    internal static JsonArray Array(IEnumerable<string> values) => [.. values.Select(v => (JsonNode)JsonValue.Create(v))];
}
