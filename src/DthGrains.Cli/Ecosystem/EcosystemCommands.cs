using System.CommandLine;
using System.Text.Json;
using DthGrains.Cli.Platform;
using Spectre.Console;
using static DthGrains.Cli.Platform.CliText;

namespace DthGrains.Cli.Ecosystem;

/// <summary><c>dth ecosystem list|show|add-org|add-person|relate|graph</c>.</summary>
public static class EcosystemCommands
{
    public static Command Build()
    {
        var command = new Command("ecosystem", "The federation's organisations, people, initiatives and their relations");
        command.Subcommands.Add(List());
        command.Subcommands.Add(Show());
        command.Subcommands.Add(AddOrganisation());
        command.Subcommands.Add(AddPerson());
        command.Subcommands.Add(Relate());
        command.Subcommands.Add(Graph());
        return command;
    }

    private static readonly string[] Kinds = ["organisations", "people", "initiatives"];

    private static Command List()
    {
        var kind = new Argument<string>("kind") { Description = "organisations, people or initiatives", DefaultValueFactory = _ => "organisations" };
        kind.AcceptOnlyFromAmong(Kinds);
        var query = new Option<string?>("--query", "-q") { Description = "Filter by name" };
        var command = new Command("list", "List organisations, people or initiatives") { kind, query };
        command.SetAction((parse, ct) => CliJson.Run(async () =>
        {
            using var api = ApiClient.From(parse);
            var q = parse.GetValue(query);
            var page = await api.GetAllPagesAsync($"api/ecosystem/{parse.GetValue(kind)}{(q is null ? "" : "?q=" + Uri.EscapeDataString(q))}", 200, ct);
            if (parse.GetValue(CliSettings.Json)) { CliJson.Print(page); return; }
            var table = new Table().Border(TableBorder.Rounded).AddColumns("Id", "Name", "Details", "Version").KeepingIds();
            foreach (var item in page.GetProperty("items").EnumerateArray())
                table.AddRow(Markup.Escape(item.GetProperty("entityId").GetString() ?? ""), Markup.Escape(item.GetProperty("name").GetString() ?? ""), Markup.Escape(Summary(item)), item.GetProperty("version").ToString());
            AnsiConsole.Write(table);
            AnsiConsole.MarkupLine($"[grey]{page.GetProperty("total")} in all[/]");
        }));
        return command;
    }

    private static Command Show()
    {
        var node = new Argument<string>("node") { Description = "kind:id, for example organisation:charite" };
        var history = new Option<bool>("--history") { Description = "Show the node's events with their envelopes" };
        var command = new Command("show", "Show one node with its relations") { node, history };
        command.SetAction((parse, ct) => CliJson.Run(async () =>
        {
            using var api = ApiClient.From(parse);
            var path = PathOf(parse.GetValue(node)!);
            var value = await api.GetAsync(path, ct);
            var events = parse.GetValue(history) ? await api.GetAsync(path + "/history", ct) : default;
            if (parse.GetValue(CliSettings.Json))
            {
                // One document: with --history, the node and its events together (two documents in a row are not JSON).
                CliJson.Print(events.ValueKind == JsonValueKind.Undefined ? value : JsonSerializer.SerializeToElement(new { node = value, history = events }));
                return;
            }
            var grid = new Grid().AddColumn().AddColumn();
            grid.AddRow("[bold]Node[/]", Markup.Escape(parse.GetValue(node)!));
            grid.AddRow("[bold]Name[/]", Markup.Escape(value.GetProperty("name").GetString() ?? ""));
            grid.AddRow("[bold]Version[/]", value.GetProperty("version").ToString());
            AnsiConsole.Write(grid);
            var relations = new Table().Border(TableBorder.Rounded).Title("Relations").AddColumns("Relation", "To", "Since");
            foreach (var r in value.GetProperty("relations").EnumerateArray())
                relations.AddRow(r.GetProperty("kind").GetString() ?? "", $"{r.GetProperty("to").GetProperty("kind").GetString()}:{r.GetProperty("to").GetProperty("id").GetString()}", r.GetProperty("since").GetString() ?? "");
            AnsiConsole.Write(relations);
            if (events.ValueKind == JsonValueKind.Array)
            {
                var table = new Table().Border(TableBorder.Rounded).Title("History").AddColumns("Version", "Event", "Actor", "Recorded at");
                foreach (var e in events.EnumerateArray())
                    table.AddRow(e.GetProperty("version").ToString(), e.GetProperty("eventType").GetString() ?? "", Markup.Escape(e.GetProperty("envelope").GetProperty("actorSubject").GetString() ?? ""), Time(e.GetProperty("envelope"), "recordedAt"));
                AnsiConsole.Write(table);
            }
        }));
        return command;
    }

    private static Command AddOrganisation()
    {
        var id = new Option<string?>("--id") { Description = "Slug (default: from the name)" };
        var name = new Option<string>("--name") { Required = true, Description = "Organisation name" };
        var type = new Option<string>("--type") { Required = true, Description = "hospital, university, sme, industry, regulator, patient-organisation, hpc-centre, public-body" };
        var country = new Option<string>("--country") { Required = true, Description = "ISO 3166-1 alpha-2 code, e.g. DE" };
        var website = new Option<string?>("--website");
        var command = new Command("add-org", "Register an organisation") { id, name, type, country, website };
        command.SetAction((parse, ct) => CliJson.Run(async () =>
        {
            using var api = ApiClient.From(parse);
            var created = await api.SendAsync(HttpMethod.Post, "api/ecosystem/organisations", new
            {
                id = parse.GetValue(id), name = parse.GetValue(name), type = parse.GetValue(type), country = parse.GetValue(country), website = parse.GetValue(website),
            }, ct: ct);
            Report(parse, created, "Registered");
        }));
        return command;
    }

    private static Command AddPerson()
    {
        var id = new Option<string?>("--id") { Description = "Slug or GUID (default: from the name)" };
        var name = new Option<string>("--name") { Required = true };
        var affiliation = new Option<string>("--affiliation") { Required = true, Description = "Organisation id" };
        var roles = new Option<string[]>("--role") { Description = "Ecosystem role(s), e.g. steward", AllowMultipleArgumentsPerToken = true };
        var command = new Command("add-person", "Register a person") { id, name, affiliation, roles };
        command.SetAction((parse, ct) => CliJson.Run(async () =>
        {
            using var api = ApiClient.From(parse);
            var created = await api.SendAsync(HttpMethod.Post, "api/ecosystem/people", new
            {
                id = parse.GetValue(id), name = parse.GetValue(name), affiliation = parse.GetValue(affiliation), roles = parse.GetValue(roles) ?? [],
            }, ct: ct);
            Report(parse, created, "Registered");
        }));
        return command;
    }

    private static Command Relate()
    {
        var from = new Argument<string>("from") { Description = "kind:id" };
        var kind = new Argument<string>("relation") { Description = "member-of, partner-of, funds, participates-in" };
        var to = new Argument<string>("to") { Description = "kind:id" };
        var remove = new Option<bool>("--remove") { Description = "Remove the relation instead of adding it" };
        var command = new Command("relate", "Add (or --remove) a relation: dth ecosystem relate person:ana member-of organisation:charite") { from, kind, to, remove };
        command.SetAction((parse, ct) => CliJson.Run(async () =>
        {
            using var api = ApiClient.From(parse);
            var (f, k, t) = (parse.GetValue(from)!, parse.GetValue(kind)!, parse.GetValue(to)!);
            var result = parse.GetValue(remove)
                ? await api.SendAsync(HttpMethod.Delete, $"api/ecosystem/relations?from={Uri.EscapeDataString(f)}&kind={Uri.EscapeDataString(k)}&to={Uri.EscapeDataString(t)}", ct: ct)
                : await api.SendAsync(HttpMethod.Post, "api/ecosystem/relations", new { from = f, kind = k, to = t }, ct: ct);
            Report(parse, result, parse.GetValue(remove) ? "Removed relation from" : "Related");
        }));
        return command;
    }

    private static Command Graph()
    {
        var graphml = new Option<bool>("--graphml") { Description = "Print GraphML (for Gephi, yEd, networkx)" };
        var command = new Command("graph", "The ecosystem map: nodes and edges") { graphml };
        command.SetAction((parse, ct) => CliJson.Run(async () =>
        {
            using var api = ApiClient.From(parse);
            if (parse.GetValue(graphml))
            {
                Console.Out.WriteLine((await api.SendAsync(HttpMethod.Get, "api/ecosystem/graph", accept: "application/graphml+xml", ct: ct)).GetString());
                return;
            }
            var graph = await api.GetAsync("api/ecosystem/graph", ct);
            if (parse.GetValue(CliSettings.Json)) { CliJson.Print(graph); return; }
            var nodes = new Table().Border(TableBorder.Rounded).Title("Nodes").AddColumns("Id", "Kind", "Name").KeepingIds();
            foreach (var n in graph.GetProperty("nodes").EnumerateArray())
                nodes.AddRow(Markup.Escape(n.GetProperty("id").GetString() ?? ""), n.GetProperty("kind").GetString() ?? "", Markup.Escape(n.GetProperty("name").GetString() ?? ""));
            var edges = new Table().Border(TableBorder.Rounded).Title("Edges").AddColumns("From", "Relation", "To", "Evidence");
            foreach (var e in graph.GetProperty("edges").EnumerateArray())
                edges.AddRow(Markup.Escape(e.GetProperty("from").GetString() ?? ""), e.GetProperty("kind").GetString() ?? "", Markup.Escape(e.GetProperty("to").GetString() ?? ""), $"{e.GetProperty("evidenceStream").GetString()}@{e.GetProperty("evidenceVersion")}");
            AnsiConsole.Write(nodes);
            AnsiConsole.Write(edges);
        }));
        return command;
    }

    private static string PathOf(string node)
    {
        var colon = node.IndexOf(':');
        var kind = colon > 0 ? node[..colon] : "";
        var plural = kind switch { "organisation" => "organisations", "person" => "people", "initiative" => "initiatives", _ => throw new Catalogue.UsageException($"'{node}' is not kind:id, e.g. organisation:{node[(colon + 1)..]} (kind: organisation, person, initiative).") };
        return $"api/ecosystem/{plural}/{Uri.EscapeDataString(node[(colon + 1)..])}";
    }

    private static string Summary(JsonElement item)
    {
        if (item.TryGetProperty("organisation", out var o)) return $"{o.GetProperty("type").GetString()}, {o.GetProperty("country").GetString()}";
        if (item.TryGetProperty("person", out var p)) return $"{p.GetProperty("affiliation").GetString()} ({string.Join(", ", p.GetProperty("roles").EnumerateArray().Select(r => r.GetString()))})";
        if (item.TryGetProperty("initiative", out var i)) return i.GetProperty("kind").GetString() ?? "";
        return "";
    }

    private static void Report(ParseResult parse, JsonElement node, string verb)
    {
        if (parse.GetValue(CliSettings.Json)) { CliJson.Print(node); return; }
        var reference = node.GetProperty("ref");
        AnsiConsole.MarkupLineInterpolated($"[green]{verb}[/] {reference.GetProperty("kind").GetString()}:{reference.GetProperty("id").GetString()} (version {node.GetProperty("version")})");
    }
}
