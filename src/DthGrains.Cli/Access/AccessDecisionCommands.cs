using System.CommandLine;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using DthGrains.Cli.Catalogue;
using DthGrains.Cli.Platform;
using Spectre.Console;
using static DthGrains.Cli.Catalogue.CatalogueCommands;
using static DthGrains.Cli.Platform.CliText;

namespace DthGrains.Cli.Access;

/// <summary>
/// The stewards' commands. Each is taken on the version the steward read: the CLI GETs the request, then sends the
/// command with <c>If-Match</c> set to its ETag. A decided slot or a newer version is a 409 whose detail names the current state.
/// </summary>
public static partial class AccessCommands
{
    private static Command Approve()
    {
        var id = new Argument<string>("id") { Description = "Access request id" };
        var reason = new Option<string>("--reason") { Description = "Why your institution approves, for the applicant to read", Required = true };
        var conditions = new Option<string[]>("--condition") { Description = "A condition of use the grant carries (repeatable)" };
        var command = new Command("approve", "Approve your institution's part of an application, with a reason and optional conditions") { id, reason, conditions };
        command.SetAction((parse, ct) => RunAsync(async () =>
        {
            var body = new JsonObject { ["approve"] = true, ["reason"] = parse.GetValue(reason) };
            if (parse.GetValue(conditions) is { Length: > 0 } given) body["conditions"] = Array(given);
            await GuardedAsync(parse, parse.GetValue(id)!, "decision", body, "Approved", ct);
        }));
        return command;
    }

    private static Command Refuse()
    {
        var id = new Argument<string>("id") { Description = "Access request id" };
        var reason = new Option<string>("--reason") { Description = "Why your institution refuses, for the applicant to read", Required = true };
        var command = new Command("refuse", "Refuse your institution's part of an application (one refusal rejects it), with a reason") { id, reason };
        command.SetAction((parse, ct) => RunAsync(() =>
            GuardedAsync(parse, parse.GetValue(id)!, "decision", new JsonObject { ["approve"] = false, ["reason"] = parse.GetValue(reason) }, "Refused", ct)));
        return command;
    }

    private static Command Reasoned(string name, string description, string route, string verb)
    {
        var id = new Argument<string>("id") { Description = "Access request id" };
        var reason = new Option<string>("--reason") { Description = "Why, for the applicant to read", Required = true };
        var command = new Command(name, description) { id, reason };
        command.SetAction((parse, ct) => RunAsync(() =>
            GuardedAsync(parse, parse.GetValue(id)!, route, new JsonObject { ["reason"] = parse.GetValue(reason) }, verb, ct)));
        return command;
    }

    /// <summary>GETs the request for its ETag (its version, quoted), then POSTs the command with If-Match.</summary>
    private static async Task GuardedAsync(ParseResult parse, string id, string route, JsonObject body, string verb, CancellationToken ct)
    {
        JsonElement current;
        using (var reader = ApiClient.From(parse))
            current = await reader.GetAsync(RequestPath(id), ct);
        if (!current.TryGetProperty("version", out var version) || version.ValueKind != JsonValueKind.Number)
            throw new UsageException($"The answer for access request '{id}' carries no version to send as If-Match.");
        using var api = WithIfMatch(parse, $"\"{version.GetInt64()}\"");
        var view = await api.SendAsync(HttpMethod.Post, $"{RequestPath(id)}/{route}", body, ct: ct);
        if (parse.GetValue(CliSettings.Json)) { CliJson.Print(view); return; }
        var because = Text(view, "statusReason") is { Length: > 0 } why ? $" ({why})" : "";
        AnsiConsole.MarkupLineInterpolated($"{verb} [bold]{Text(view, "id")}[/] (version {Text(view, "version")}): status {Text(view, "status")}{because}");
        if (AwaitedOwners(view) is { Length: > 0 } awaited) AnsiConsole.MarkupLineInterpolated($"[grey]awaiting the stewards of {awaited}[/]");
        if (view.TryGetProperty("grant", out var grant) && grant.ValueKind == JsonValueKind.Object)
            AnsiConsole.MarkupLineInterpolated($"grant [bold]{Text(grant, "id")}[/]: {GrantState(grant)}");
    }

    /// <summary>"active until …" for a live grant; a revoked or expired one says so, with why, and not an end it will never reach.</summary>
    internal static string GrantState(JsonElement grant) =>
        Text(grant, "status") is "active" ? $"active until {Time(grant, "validUntil")}" : StatusWithReason(grant);

    /// <summary>An API client like <see cref="ApiClient.From"/> whose every request carries <c>If-Match</c>.</summary>
    private static ApiClient WithIfMatch(ParseResult parse, string etag)
    {
        var client = new HttpClient { BaseAddress = CliSettings.ResolveBaseAddress(parse), Timeout = TimeSpan.FromSeconds(100) };
        if (CliSettings.ResolveToken(parse) is { } token)
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        client.DefaultRequestHeaders.IfMatch.Add(EntityTagHeaderValue.Parse(etag));
        return new ApiClient(client);
    }
}
