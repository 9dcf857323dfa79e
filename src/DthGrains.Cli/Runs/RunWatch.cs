using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using DthGrains.Cli.Platform;
using Spectre.Console;

namespace DthGrains.Cli.Runs;

/// <summary>Follows a run's SSE stream with a progress bar (subjects done, rate, ETA), resuming with Last-Event-ID if the connection drops.</summary>
public static class RunWatch
{
    /// <summary>The exit code when the followed run failed.</summary>
    public const int RunFailed = 5;

    /// <summary>The exit code when the followed run was cancelled.</summary>
    public const int RunCancelled = 6;

    /// <summary>The exit code when following stopped before the run ended (its stream kept dropping): its end is not known.</summary>
    public const int NotEnded = 7;

    /// <summary>How the exit codes read, for the commands' help.</summary>
    public const string ExitCodes = "exit code 0 when the run completed, 5 when it failed, 6 when it was cancelled, 7 (4 when the platform cannot be reached) when following stopped before its end";

    /// <summary>
    /// The exit code of a follow that saw <paramref name="lastEvent"/> last: 0 only for a completed run, so that a script
    /// (<c>dth run submit --follow &amp;&amp; dth run results ...</c>) does not go on after a failed or cancelled one.
    /// </summary>
    public static int ExitCodeOf(string? lastEvent) => lastEvent switch
    {
        "runs.run_completed" => 0,
        "runs.run_failed" => RunFailed,
        "runs.run_cancelled" => RunCancelled,
        _ => NotEnded,
    };

    /// <summary>Follows run <paramref name="id"/> to its end and prints it; returns <see cref="ExitCodeOf"/> its last event.</summary>
    public static async Task<int> FollowAsync(ParseResult parse, ApiClient api, string id, CancellationToken ct)
    {
        var path = $"{RunCommands.RunsPath}/{Uri.EscapeDataString(id)}";
        var run = await api.GetAsync(path, ct);
        long total = run.GetProperty("subjectsTotal").GetInt64();
        var json = parse.GetValue(CliSettings.Json);
        var silos = new Dictionary<string, int>(StringComparer.Ordinal);
        string? terminal = null;
        long lastId = 0;

        using var http = new HttpClient { BaseAddress = CliSettings.ResolveBaseAddress(parse), Timeout = Timeout.InfiniteTimeSpan };
        if (CliSettings.ResolveToken(parse) is { } token) http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

        async Task Stream(Action<long, long, string?> progress)
        {
            for (var attempt = 0; terminal is null && attempt < 20; attempt++)
            {
                try
                {
                    using var request = new HttpRequestMessage(HttpMethod.Get, $"{path}/events");
                    request.Headers.TryAddWithoutValidation("Last-Event-ID", lastId.ToString(CultureInfo.InvariantCulture));
                    using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
                    if (!response.IsSuccessStatusCode) throw ApiClient.ErrorOf(new RawResponse((int)response.StatusCode, null, await response.Content.ReadAsStringAsync(ct), response.ReasonPhrase));
                    using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct));
                    long? frameId = null;
                    string evt = "", data = "";
                    while (await reader.ReadLineAsync(ct) is { } line)
                    {
                        if (line.StartsWith("id: ", StringComparison.Ordinal)) frameId = long.Parse(line[4..], CultureInfo.InvariantCulture);
                        else if (line.StartsWith("event: ", StringComparison.Ordinal)) evt = line[7..];
                        else if (line.StartsWith("data: ", StringComparison.Ordinal)) data = line[6..];
                        else if (line.Length == 0 && data.Length > 0)
                        {
                            using var doc = JsonDocument.Parse(data);
                            var d = doc.RootElement;
                            if (frameId is { } fid) lastId = fid;
                            progress(d.GetProperty("subjectsDone").GetInt64(), d.GetProperty("subjectsTotal").GetInt64(),
                                d.TryGetProperty("status", out var status) && status.ValueKind == JsonValueKind.String ? status.GetString() : null);
                            if (evt == "runs.shard_completed" && SiloOf(d) is { } silo) silos[silo] = silos.GetValueOrDefault(silo) + 1;
                            if (evt is "runs.run_completed" or "runs.run_cancelled" or "runs.run_failed") terminal = evt;
                            if (evt == "runs.run_suspended" && !json)
                            {
                                AnsiConsole.MarkupLineInterpolated($"[yellow]suspended:[/] {d.GetProperty("reason").GetString()}");
                                AnsiConsole.MarkupLineInterpolated($"[grey]The run keeps the shards it completed and resumes by itself once a grant permits again (a new application approved: dth access apply). Still following; Ctrl-C stops following only ('dth run watch {id}' follows again, 'dth run cancel {id}' ends the run).[/]");
                            }
                            if (evt == "runs.run_resumed" && !json) AnsiConsole.MarkupLine("[green]resumed[/]");
                            if (evt == "runs.cohort_seeded" && !json)
                                AnsiConsole.MarkupLineInterpolated($"[grey]cohort seeded at the data: {d.GetProperty("dataset").GetString()}@{d.GetProperty("datasetVersion").GetString()}, {d.GetProperty("subjectsUsed")} subjects used; with its seed the request hashes to {d.GetProperty("requestHash").GetString()}, the hash its results point at[/]");
                            (frameId, evt, data) = (null, "", "");
                        }
                    }
                }
                // A connection refused or dropped before the answer (HttpRequestException), or dropped mid-stream
                // (HttpIOException, an IOException): resumed after the last event seen.
                catch (Exception ex) when ((ex is HttpRequestException or IOException) && attempt < 19)
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), ct);
                }
            }
        }

        if (json) await Stream((_, _, _) => { });
        else
        {
            var clock = Stopwatch.StartNew();
            var rates = new SubjectRate();
            await AnsiConsole.Progress().AutoClear(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                .StartAsync(async ctx =>
                {
                    var task = ctx.AddTask($"{total:N0} subjects", maxValue: Math.Max(1, total));
                    await Stream((done, all, status) =>
                    {
                        task.MaxValue = Math.Max(1, all);
                        task.Value = Math.Max(task.Value, done);
                        var state = status?.ToLowerInvariant();
                        var rate = rates.Observe(done, running: state is null or "running", clock.Elapsed);
                        // Submitted and not started: a seeded cohort whose seed is being fitted at the data.
                        task.Description = state switch
                        {
                            "submitted" => $"{all:N0} subjects · fitting the cohort seed at the data",
                            "suspended" => $"{done:N0}/{all:N0} subjects · suspended",
                            _ => $"{done:N0}/{all:N0} subjects" + (rate is { } r ? $" · {r:N0}/s" : ""),
                        };
                    });
                });
        }

        run = await api.GetAsync(path, ct);
        if (json) CliJson.Print(run);
        else
        {
            if (silos.Count > 0) AnsiConsole.MarkupLineInterpolated($"[grey]shards by silo: {string.Join(", ", silos.Select(s => $"{s.Key} × {s.Value}"))}[/]");
            RunCommands.PrintRun(run);
        }
        var code = ExitCodeOf(terminal);
        if (code == RunFailed) CliErrors.Print($"run {id} failed.");
        else if (code == RunCancelled) CliErrors.Print($"run {id} was cancelled.");
        else if (code == NotEnded) CliErrors.Print($"stopped following run {id} before it ended (its event stream kept closing); 'dth run watch {id}' follows it again.");
        return code;
    }

    /// <summary>A shard event's silo as people name it: its address, then its institutions and role where the silo told them.</summary>
    private static string? SiloOf(JsonElement shard)
    {
        if (!shard.TryGetProperty("silo", out var address) || address.GetString() is not { } silo) return null;
        var role = shard.TryGetProperty("siloRole", out var r) ? r.GetString() : null;
        string[]? institutions = shard.TryGetProperty("siloInstitutions", out var i) && i.ValueKind == JsonValueKind.Array
            ? [.. i.EnumerateArray().Select(x => x.GetString() ?? "")] : null;
        return Domain.Runs.ShardSilo.Label(silo, role, institutions);
    }
}
