using System.CommandLine;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DthGrains.Cli.Platform;
using Spectre.Console;
using static DthGrains.Cli.Platform.CliText;

namespace DthGrains.Cli.Catalogue;

/// <summary>
/// <c>dth catalogue search|show|create|publish|release|deprecate|withdraw|upload|credibility|export|payload</c>:
/// the federated catalogue of models, methods, datasets and twins under <c>/api/catalogue</c>.
/// </summary>
public static partial class CatalogueCommands
{
    internal const string JsonLd = "application/ld+json";
    internal const string FhirJson = "application/fhir+json";

    private static readonly string[] Kinds = ["model", "method", "dataset", "twin"];
    private static readonly string[] Rights = ["public", "restricted", "non-public"];
    private static readonly string[] Statuses = ["draft", "published", "deprecated", "withdrawn"];
    private static readonly string[] Sorts = ["relevance", "title", "updated"];

    public static Command Build()
    {
        var command = new Command("catalogue", "The federated catalogue of models, methods, datasets and twins");
        command.Subcommands.Add(Search());
        command.Subcommands.Add(Show());
        command.Subcommands.Add(Create());
        command.Subcommands.Add(Publish());
        command.Subcommands.Add(Release());
        command.Subcommands.Add(Deprecate());
        command.Subcommands.Add(Withdraw());
        command.Subcommands.Add(Credibility());
        command.Subcommands.Add(Upload());
        command.Subcommands.Add(Payload());
        command.Subcommands.Add(Export());
        return command;
    }

    private static Command Search()
    {
        var query = new Argument<string?>("query") { Description = "Words to find in title, description and keywords", Arity = ArgumentArity.ZeroOrOne };
        var kind = Many("--kind", "model, method, dataset or twin (repeatable)", Kinds);
        var theme = Many("--theme", "Theme, e.g. HEAL (repeatable)");
        var healthCategory = Many("--health-category", "HealthDCAT-AP health category (repeatable)");
        var codingSystem = Many("--coding-system", "Coding system, e.g. LOINC (repeatable)");
        var publisher = Many("--publisher", "Publisher institution id (repeatable)");
        var country = Many("--country", "Publisher country, ISO 3166-1 alpha-2 (repeatable)");
        var rights = Many("--access-rights", "public, restricted or non-public (repeatable)", Rights);
        var licence = Many("--licence", "Licence, e.g. Apache-2.0 (repeatable)");
        var conformsTo = Many("--conforms-to", "Standard, e.g. SBML (repeatable)");
        var minCredibility = new Option<int?>("--min-credibility") { Description = "Lowest V&V 40 credibility level (0..5)" };
        minCredibility.Validators.Add(r => { if (r.GetValueOrDefault<int?>() is < 0 or > 5) r.AddError("--min-credibility is a level from 0 to 5."); });
        var status = Many("--status", "draft, published, deprecated or withdrawn (repeatable)", Statuses);
        var sort = new Option<string?>("--sort") { Description = "relevance (default), title or updated" };
        sort.AcceptOnlyFromAmong(Sorts);
        var limit = new Option<int?>("--limit") { Description = "Page size, 1 to 100 (default 20; 100 with --all)" };
        limit.Validators.Add(r => { if (r.GetValueOrDefault<int?>() is < 1 or > 100) r.AddError("--limit is between 1 and 100."); });
        var cursor = new Option<string?>("--cursor") { Description = "Continue from the nextCursor of a previous page" };
        var all = new Option<bool>("--all") { Description = "Follow nextCursor until every match is listed" };
        var command = new Command("search", "Search the catalogue with facets ('list' with no words: everything you may see)")
        {
            query, kind, theme, healthCategory, codingSystem, publisher, country, rights, licence, conformsTo, minCredibility, status, sort, limit, cursor, all,
        };
        // A newcomer's first try is 'dth catalogue list'.
        command.Aliases.Add("list");
        command.SetAction((parse, ct) => RunAsync(async () =>
        {
            var url = new StringBuilder("api/catalogue/resources?");
            void Add(string name, string? value)
            {
                if (value is not null) url.Append(name).Append('=').Append(Uri.EscapeDataString(value)).Append('&');
            }
            Add("q", parse.GetValue(query));
            foreach (var (name, option) in new[] { ("kind", kind), ("theme", theme), ("healthCategory", healthCategory), ("codingSystem", codingSystem), ("publisher", publisher),
                         ("country", country), ("accessRights", rights), ("licence", licence), ("conformsTo", conformsTo), ("status", status) })
                foreach (var value in parse.GetValue(option) ?? []) Add(name, value);
            Add("minCredibility", parse.GetValue(minCredibility)?.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Add("sort", parse.GetValue(sort));
            var followAll = parse.GetValue(all);
            Add("limit", (parse.GetValue(limit) ?? (followAll ? 100 : 20)).ToString(System.Globalization.CultureInfo.InvariantCulture));
            var basePath = url.ToString();

            using var api = ApiClient.From(parse);
            var first = await api.GetAsync(basePath + CursorParameter(parse.GetValue(cursor)), ct);
            var items = first.GetProperty("items").EnumerateArray().ToList();
            var next = NextCursor(first);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            while (followAll && next is not null && seen.Add(next))
            {
                var page = await api.GetAsync(basePath + CursorParameter(next), ct);
                items.AddRange(page.GetProperty("items").EnumerateArray());
                next = NextCursor(page);
            }

            if (parse.GetValue(CliSettings.Json))
            {
                CliJson.Print(followAll
                    ? JsonSerializer.SerializeToElement(new { items, total = first.GetProperty("total").GetInt32(), nextCursor = (string?)null, facets = first.GetProperty("facets") }, CliJson.Options)
                    : first);
                return;
            }
            var table = new Table().Border(TableBorder.Rounded).AddColumns("Id", "Kind", "Title", "Publisher", "Access rights", "Latest", "Credibility").KeepingIds();
            foreach (var item in items)
            {
                var itemStatus = Text(item, "status");
                table.AddRow(
                    Markup.Escape(Text(item, "id")) + (itemStatus is "published" or "" ? "" : $" [grey]({Markup.Escape(itemStatus)})[/]"),
                    Markup.Escape(Text(item, "kind")),
                    Markup.Escape(Text(item, "title")),
                    Markup.Escape(Text(item, "publisher")),
                    Markup.Escape(Text(item, "accessRights")),
                    Markup.Escape(Text(item, "latestVersion", "-")),
                    item.TryGetProperty("credibilityLevel", out var level) && level.ValueKind == JsonValueKind.Number ? level.ToString() : "-");
            }
            AnsiConsole.Write(table);
            AnsiConsole.MarkupLineInterpolated($"[grey]{items.Count} shown of {first.GetProperty("total")} matching[/]");
            if (next is not null && !followAll) AnsiConsole.MarkupLineInterpolated($"[grey]more: --all, or --cursor {next}[/]");
            WriteFacets(first.GetProperty("facets"));
        }));
        return command;
    }

    private static Command Show()
    {
        var id = new Argument<string>("id") { Description = "Resource id, e.g. hovorka-2004" };
        var jsonLd = new Option<bool>("--jsonld") { Description = "Print the DCAT-AP / HealthDCAT-AP JSON-LD description" };
        var command = new Command("show", "Show one resource with its versions") { id, jsonLd };
        command.SetAction((parse, ct) => RunAsync(async () =>
        {
            using var api = ApiClient.From(parse);
            var path = ResourcePath(parse.GetValue(id)!);
            if (parse.GetValue(jsonLd))
            {
                var ld = await api.SendRawAsync(HttpMethod.Get, path, accept: JsonLd, ct: ct);
                if (!ld.IsSuccess) throw ApiClient.ErrorOf(ld);
                CliJson.Print(JsonDocument.Parse(ld.Body).RootElement);
                return;
            }
            var view = await api.GetAsync(path, ct);
            if (parse.GetValue(CliSettings.Json)) { CliJson.Print(view); return; }
            WriteResource(view);
        }));
        return command;
    }

    internal static void WriteResource(JsonElement view)
    {
        var m = view.GetProperty("metadata");
        var grid = new Grid().AddColumn(new GridColumn().NoWrap()).AddColumn();
        void Row(string label, string? value)
        {
            if (!string.IsNullOrEmpty(value)) grid.AddRow($"[bold]{label}[/]", Markup.Escape(value));
        }
        Row("Id", Text(view, "id"));
        Row("Kind", Text(view, "kind") + (Text(m, "modelType") is { Length: > 0 } type ? $" ({type})" : ""));
        Row("Title", Text(m, "title"));
        Row("Status", Text(view, "status") + (Text(view, "statusReason") is { Length: > 0 } reason ? $": {reason}" : ""));
        Row("Publisher", Text(view, "publisher"));
        Row("Latest version", Text(view, "latestVersion", "none yet"));
        Row("Access rights", Text(m, "accessRights"));
        Row("Licence", Text(m, "licence"));
        Row("Description", Text(m, "description"));
        Row("Keywords", List(m, "keywords"));
        Row("Themes", List(m, "themes"));
        Row("Health categories", List(m, "healthCategories"));
        Row("Coding systems", List(m, "codingSystems"));
        Row("Conforms to", List(m, "conformsTo"));
        Row("Legislation", List(m, "applicableLegislation"));
        if (m.TryGetProperty("contactPoint", out var contact) && contact.ValueKind == JsonValueKind.Object)
            Row("Contact", $"{Text(contact, "name")} <{Text(contact, "email")}>");
        if (m.TryGetProperty("referencePublication", out var publication) && publication.ValueKind == JsonValueKind.Object)
            Row("Reference", Text(publication, "citation") + (Text(publication, "doi") is { Length: > 0 } doi ? $" https://doi.org/{doi}" : ""));
        if (m.TryGetProperty("population", out var population) && population.ValueKind == JsonValueKind.Object)
            Row("Population", string.Join(", ", population.EnumerateObject().Where(p => p.Value.ValueKind != JsonValueKind.Null).Select(p => $"{p.Name} {p.Value}")));
        Row("Created", Time(view, "createdAt"));
        Row("Updated", Time(view, "updatedAt"));
        Row("Stream version", view.TryGetProperty("streamVersion", out var sv) ? sv.ToString() : null);
        AnsiConsole.Write(grid);

        var versions = new Table().Border(TableBorder.Rounded).Title("Versions").AddColumns("Version", "Released", "Checksum", "Credibility", "Content", "Notes");
        foreach (var v in view.GetProperty("versions").EnumerateArray())
            versions.AddRow(Markup.Escape(Text(v, "version")), Markup.Escape(Time(v, "releasedAt")), Markup.Escape(Text(v, "checksum")),
                CredibilityLevel(v) is { } level ? level.ToString(System.Globalization.CultureInfo.InvariantCulture) : "-",
                Markup.Escape(DatasetSummary(v)), Markup.Escape(Text(v, "releaseNotes")));
        AnsiConsole.Write(versions);
    }

    private static int? CredibilityLevel(JsonElement version)
    {
        if (!version.TryGetProperty("credibility", out var c) || c.ValueKind != JsonValueKind.Object) return null;
        if (c.TryGetProperty("level", out var level) && level.ValueKind == JsonValueKind.Number) return level.GetInt32();
        var achieved = c.GetProperty("factors").EnumerateArray().Select(f => f.GetProperty("achieved").GetInt32()).ToList();
        return achieved.Count == 0 ? 0 : achieved.Min();
    }

    private static string DatasetSummary(JsonElement version)
    {
        if (!version.TryGetProperty("dataset", out var d) || d.ValueKind != JsonValueKind.Object) return "";
        var counts = d.GetProperty("resourcesByType").EnumerateObject().Select(p => $"{p.Value} {p.Name}");
        return $"{Text(d, "subjects")} {(Text(d, "subjects") == "1" ? "subject" : "subjects")}; {string.Join(", ", counts)}";
    }

    private static void WriteFacets(JsonElement facets)
    {
        if (facets.ValueKind != JsonValueKind.Object) return;
        var table = new Table().Border(TableBorder.Rounded).Title("Facets").AddColumns("Facet", "Values");
        foreach (var facet in facets.EnumerateObject())
        {
            var values = facet.Value.EnumerateObject().OrderByDescending(v => v.Value.GetInt32()).ThenBy(v => v.Name, StringComparer.Ordinal)
                .Select(v => $"{Markup.Escape(v.Name)} [grey]({v.Value})[/]").ToList();
            if (values.Count > 0) table.AddRow(Markup.Escape(facet.Name), string.Join(" · ", values));
        }
        if (table.Rows.Count > 0) AnsiConsole.Write(table);
    }

    private static Option<string[]> Many(string name, string description, string[]? allowed = null)
    {
        var option = new Option<string[]>(name) { Description = description };
        if (allowed is not null) option.AcceptOnlyFromAmong(allowed);
        return option;
    }

    private static string CursorParameter(string? cursor) => cursor is null ? "" : "cursor=" + Uri.EscapeDataString(cursor);

    private static string? NextCursor(JsonElement page) =>
        page.TryGetProperty("nextCursor", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;

    internal static string ResourcePath(string id) => $"api/catalogue/resources/{Uri.EscapeDataString(id)}";

    internal static string Text(JsonElement e, string name, string missing = "") =>
        e.TryGetProperty(name, out var v) ? v.ValueKind switch
        {
            JsonValueKind.String => v.GetString() ?? missing,
            JsonValueKind.Null or JsonValueKind.Undefined => missing,
            _ => v.ToString(),
        } : missing;

    private static string List(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Array ? string.Join(", ", v.EnumerateArray().Select(x => x.GetString())) : "";

    /// <summary>Reads a JSON file the user names; a missing or malformed file is a usage error, not a crash.</summary>
    internal static async Task<JsonNode> ReadJsonFileAsync(FileInfo file, CancellationToken ct)
    {
        await using var stream = file.OpenRead();
        try
        {
            return await JsonNode.ParseAsync(stream, cancellationToken: ct) ?? throw new UsageException($"{file.Name} holds JSON null, not an object.");
        }
        catch (JsonException ex)
        {
            throw new UsageException($"{file.Name} is not valid JSON: {ex.Message}");
        }
    }

    /// <summary>Runs a command body as <see cref="CliJson.Run(Func{Task})"/> does: usage and file errors exit with code 1, on standard error too.</summary>
    internal static Task<int> RunAsync(Func<Task> body) => CliJson.Run(body);

    /// <summary>As <see cref="RunAsync(Func{Task})"/>, for a body that gives its own exit code when it ends.</summary>
    internal static Task<int> RunAsync(Func<Task<int>> body) => CliJson.Run(body);
}

/// <summary>The user asked for something the CLI cannot do with what was given (a bad file, conflicting options).</summary>
public sealed class UsageException(string message) : Exception(message);
