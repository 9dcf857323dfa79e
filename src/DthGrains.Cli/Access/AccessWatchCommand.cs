using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using DthGrains.Cli.Platform;
using Spectre.Console;
using static DthGrains.Cli.Catalogue.CatalogueCommands;
using static DthGrains.Cli.Platform.CliText;

namespace DthGrains.Cli.Access;

/// <summary>
/// <c>dth access watch</c>: the steward inbox followed live. It looks at the inbox every few seconds (the list a steward
/// already reads, so it works against any silo and needs nothing new on the server) and says what arrived and what left
/// it (decided by a colleague, withdrawn, returned).
/// </summary>
public static partial class AccessCommands
{
    private static Command Watch()
    {
        var next = new Option<bool>("--next")
        {
            Description = "Wait for the next application that needs your institution's decision, print it and exit (for scripts and notifications)",
        };
        var every = new Option<int>("--every") { Description = "Seconds between looks at the inbox, 1 to 300", DefaultValueFactory = _ => 5 };
        every.Validators.Add(r => { if (r.GetValueOrDefault<int>() is < 1 or > 300) r.AddError("--every is between 1 and 300 seconds."); });
        var command = new Command("watch",
            "Follow the steward inbox live: the applications awaiting your institution's decision now, then each one that arrives or leaves (Ctrl-C stops; with --json, one line of JSON per arrival)") { next, every };
        command.SetAction((parse, ct) => RunAsync(async () =>
        {
            using var api = ApiClient.From(parse);
            var json = parse.GetValue(CliSettings.Json);
            var pending = await InboxAsync(api, ct);
            if (!parse.GetValue(next) && !json)
            {
                if (pending.Count == 0) AnsiConsole.MarkupLine("Nothing awaits your institution's decision now.");
                else
                {
                    var table = new Table().Border(TableBorder.Rounded).Title("Awaiting your institution's decision")
                        .AddColumns("Id", "Title", "Applicant", "Purpose", "Datasets", "Submitted").KeepingIds();
                    foreach (var r in pending.Values) table.AddRow(Markup.Escape(Text(r, "id")), Markup.Escape(Text(r, "title")), Markup.Escape(Applicant(r)),
                        Markup.Escape(Text(r, "purpose")), Markup.Escape(Join(r, "datasets")), Markup.Escape(Time(r, "submittedAt")));
                    AnsiConsole.Write(table);
                }
                AnsiConsole.MarkupLine($"[grey]Watching for applications that need your decision (a look every {parse.GetValue(every)} s; Ctrl-C stops)...[/]");
            }
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(parse.GetValue(every)));
            while (await timer.WaitForNextTickAsync(ct))
            {
                var now = await InboxAsync(api, ct);
                foreach (var (id, r) in now.Where(n => !pending.ContainsKey(n.Key)))
                {
                    // With --next, the one document; watching, JSON Lines: a compact document per application, as each arrives.
                    if (json && parse.GetValue(next)) CliJson.Print(r);
                    else if (json) CliJson.PrintLine(r);
                    else AnsiConsole.MarkupLineInterpolated(
                        $"{DateTime.UtcNow:HH:mm:ss} [bold]new[/] {id}: \"{Text(r, "title")}\" from {Applicant(r)} for {Join(r, "datasets")} ({Text(r, "purpose")}). Read it: dth access show {id}");
                    if (parse.GetValue(next)) return;
                }
                if (!json)
                    foreach (var id in pending.Keys.Where(k => !now.ContainsKey(k)))
                        AnsiConsole.MarkupLineInterpolated($"{DateTime.UtcNow:HH:mm:ss} [grey]left the inbox[/] {id} (decided by your institution, withdrawn or returned: dth access show {id})");
                pending = now;
            }
        }));
        return command;
    }

    /// <summary>
    /// Raised in this process after each look at the inbox, with what it held: a signal for whoever runs the watch
    /// in-process and must know when an application counts as new (the tests), instead of guessing with a delay.
    /// </summary>
    public static event Action<IReadOnlyCollection<string>>? InboxRead;

    /// <summary>Every application awaiting the caller's institution, by id (the inbox read page by page).</summary>
    private static async Task<Dictionary<string, JsonElement>> InboxAsync(ApiClient api, CancellationToken ct)
    {
        var inbox = await ReadInboxAsync(api, ct);
        InboxRead?.Invoke(inbox.Keys);
        return inbox;
    }

    private static async Task<Dictionary<string, JsonElement>> ReadInboxAsync(ApiClient api, CancellationToken ct)
    {
        var inbox = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        for (var offset = 0; ; offset += 100)
        {
            var page = await api.GetAsync(string.Create(CultureInfo.InvariantCulture, $"{RequestsPath}?pending=true&offset={offset}&limit=100"), ct);
            var items = page.GetProperty("items").EnumerateArray().ToList();
            foreach (var r in items) inbox[Text(r, "id")] = r.Clone();
            if (items.Count < 100 || offset + items.Count >= page.GetProperty("total").GetInt32()) return inbox;
        }
    }

    internal static string Applicant(JsonElement r) => Text(r, "applicant") + (Text(r, "applicantInstitution") is { Length: > 0 } i ? $" ({i})" : "");
}
