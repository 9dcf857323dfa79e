using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using DthGrains.Cli.Platform;
using DthGrains.Simulation.Models.External;
using Spectre.Console;
using static DthGrains.Cli.Catalogue.CatalogueCommands;

namespace DthGrains.Cli.Federation;

/// <summary>
/// <c>dth cluster metrics</c>: the headline numbers of one silo's <c>/metrics</c> as tables, for an operator without a
/// Prometheus at hand. Counters count since that silo started; times are estimated from its histograms' buckets.
/// </summary>
public static class ClusterMetricsCommand
{
    private static readonly string[] RunStatuses = ["completed", "failed", "cancelled"];

    public static Command Build()
    {
        var command = new Command("metrics",
            "What the silo you talk to counted since it started: runs by kind and status with their times, shards by role, its workers and run streams, ledger commits, data access (from its /metrics)");
        command.SetAction((parse, ct) => RunAsync(async () =>
        {
            using var api = ApiClient.From(parse);
            var response = await api.SendRawAsync(HttpMethod.Get, "metrics", ct: ct);
            if (!response.IsSuccess) throw ApiClient.ErrorOf(response);
            var samples = PrometheusText.Parse(response.Body).Where(s => s.Name.StartsWith("dth_", StringComparison.Ordinal)).ToList();
            if (parse.GetValue(CliSettings.Json))
            {
                CliJson.Print(JsonSerializer.SerializeToElement(samples.Select(s => new { name = s.Name, labels = s.Labels, value = s.Value })));
                return;
            }
            if (samples.Count == 0)
            {
                AnsiConsole.MarkupLine("This silo has counted nothing of ours yet (no run, commit or decision since it started).");
                return;
            }
            foreach (var table in Tables(samples)) AnsiConsole.Write(table);
            AnsiConsole.MarkupLine("[grey]Counted by this silo since it started; the cluster's totals are the sum over its silos (ops/monitoring has a Prometheus setup).[/]");
        }));
        return command;
    }

    /// <summary>The tables <c>dth cluster metrics</c> prints, from a silo's samples of our own metrics.</summary>
    public static IEnumerable<Table> Tables(IReadOnlyList<MetricSample> s)
    {
        var runs = new Table().Border(TableBorder.Rounded).Title("Runs (recorded by this silo's run grains)")
            .AddColumns("kind", "submitted", "completed", "failed", "cancelled", "suspended", "resumed", "time p50", "time p95");
        var kinds = s.Where(x => x.Name is "dth_runs_submitted_total" or "dth_runs_ended_total").Select(x => x.Label("kind")).Distinct().Order(StringComparer.Ordinal);
        foreach (var kind in kinds)
        {
            (string, string) K = ("kind", kind);
            (string, string) Completed = ("status", "completed");
            runs.AddRow([kind, Count(s, "dth_runs_submitted_total", K), .. RunStatuses.Select(st => Count(s, "dth_runs_ended_total", K, ("status", st))),
                Count(s, "dth_runs_suspended_total", K), Count(s, "dth_runs_resumed_total", K),
                Time(PrometheusText.Quantile(s, "dth_runs_duration_seconds", 0.5, K, Completed)), Time(PrometheusText.Quantile(s, "dth_runs_duration_seconds", 0.95, K, Completed))]);
        }
        if (runs.Rows.Count > 0)
        {
            runs.Caption("times: submission to completion, completed runs");
            yield return runs;
        }

        var shards = new Table().Border(TableBorder.Rounded).Title("Shards, by the computing silo's role")
            .AddColumns("role", "shards", "time p50", "time p95");
        foreach (var role in s.Where(x => x.Name == "dth_runs_shards_total").Select(x => x.Label("role")).Distinct().Order(StringComparer.Ordinal))
            shards.AddRow(role, Count(s, "dth_runs_shards_total", ("role", role)),
                Time(PrometheusText.Quantile(s, "dth_runs_shard_duration_seconds", 0.5, ("role", role))), Time(PrometheusText.Quantile(s, "dth_runs_shard_duration_seconds", 0.95, ("role", role))));
        if (shards.Rows.Count > 0) yield return shards;

        var codes = new Table().Border(TableBorder.Rounded).Title("External codes' processes, by model")
            .AddColumns("model", "completed", "failed, by how", "cancelled", "time p50", "time p95");
        foreach (var model in s.Where(x => x.Name == "dth_runs_external_processes_total").Select(x => x.Label("model")).Distinct().Order(StringComparer.Ordinal))
        {
            (string, string) M = ("model", model);
            (string, string) Completed = ("outcome", ExternalOutcome.Completed);
            var failed = ExternalOutcome.All.Except([ExternalOutcome.Completed, ExternalOutcome.Cancelled])
                .Select(o => (Outcome: o, N: PrometheusText.Sum(s, "dth_runs_external_processes_total", M, ("outcome", o)))).Where(f => f.N > 0)
                .Select(f => string.Create(CultureInfo.InvariantCulture, $"{f.Outcome} {f.N:#,0}")).ToList();
            codes.AddRow(Markup.Escape(model), Count(s, "dth_runs_external_processes_total", M, Completed), failed.Count > 0 ? $"[red]{string.Join(", ", failed)}[/]" : "0",
                Count(s, "dth_runs_external_processes_total", M, ("outcome", ExternalOutcome.Cancelled)),
                Time(PrometheusText.Quantile(s, "dth_runs_external_process_duration_seconds", 0.5, M, Completed)),
                Time(PrometheusText.Quantile(s, "dth_runs_external_process_duration_seconds", 0.95, M, Completed)));
        }
        if (codes.Rows.Count > 0)
        {
            codes.Caption("a process per subject, or per batch; times: completed processes, start to end");
            yield return codes;
        }

        yield return new Table().Border(TableBorder.Rounded).Title("Workers and run streams").AddColumns("", "").HideHeaders()
            .AddRow("subjects solved", Count(s, "dth_runs_subjects_total"))
            .AddRow("wait for a worker slot, p95", Time(PrometheusText.Quantile(s, "dth_runs_worker_slot_wait_seconds", 0.95)))
            .AddRow("run streams open now", Count(s, "dth_runs_streams"))
            .AddRow("streams refused at a client's cap", Count(s, "dth_runs_streams_refused_total"))
            .AddRow("followers dropped for falling behind", Count(s, "dth_runs_followers_dropped_total"))
            .AddRow("submissions refused by a cap", Count(s, "dth_runs_refused_total"));

        var committed = ("outcome", "committed");
        var commits = PrometheusText.Sum(s, "dth_ledger_commit_duration_seconds_count", committed);
        var ledger = new Table().Border(TableBorder.Rounded).Title("Ledger commits").AddColumns("", "").HideHeaders()
            .AddRow("transactions committed", Count(s, "dth_ledger_commit_duration_seconds_count", committed))
            .AddRow("commit time p50 / p99", $"{Time(PrometheusText.Quantile(s, "dth_ledger_commit_duration_seconds", 0.5, committed))} / {Time(PrometheusText.Quantile(s, "dth_ledger_commit_duration_seconds", 0.99, committed))}")
            .AddRow("appends per transaction (mean)", commits > 0 ? (PrometheusText.Sum(s, "dth_ledger_batch_appends_sum") / PrometheusText.Sum(s, "dth_ledger_batch_appends_count")).ToString("0.0", CultureInfo.InvariantCulture) : "-")
            .AddRow("transactions failed", Count(s, "dth_ledger_commit_duration_seconds_count", ("outcome", "failed")))
            .AddRow("appends lost to a rival writer", Count(s, "dth_ledger_conflicts_total"))
            .AddRow("COMMIT answers lost: found committed / not / unknown",
                string.Join(" / ", new[] { "committed", "not-committed", "unknown" }.Select(r => Count(s, "dth_ledger_lost_commit_answers_total", ("resolved", r)))));
        foreach (var category in s.Where(x => x.Name == "dth_ledger_events_total").Select(x => x.Label("category")).Distinct().Order(StringComparer.Ordinal))
            ledger.AddRow($"events: {category}", Count(s, "dth_ledger_events_total", ("category", category)));
        yield return ledger;

        yield return new Table().Border(TableBorder.Rounded).Title("Data access").AddColumns("", "").HideHeaders()
            .AddRow("applications submitted", Count(s, "dth_access_applications_total"))
            .AddRow("decisions: approved / refused / returned",
                string.Join(" / ", new[] { "approved", "refused", "returned" }.Select(d => Count(s, "dth_access_decisions_total", ("decision", d)))))
            .AddRow("grants: granted / revoked / expired",
                string.Join(" / ", new[] { "granted", "revoked", "expired" }.Select(c => Count(s, "dth_access_grants_total", ("change", c)))));
    }

    private static string Count(IReadOnlyList<MetricSample> s, string name, params (string, string)[] where) =>
        PrometheusText.Sum(s, name, where).ToString("#,0", CultureInfo.InvariantCulture);

    /// <summary>A time for people: milliseconds under a second, seconds under two minutes, then minutes; "-" for none.</summary>
    public static string Time(double? seconds) => seconds switch
    {
        null or double.NaN => "-",
        < 1 => string.Create(CultureInfo.InvariantCulture, $"{seconds * 1000:0.#} ms"),
        < 120 => string.Create(CultureInfo.InvariantCulture, $"{seconds:0.##} s"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{seconds / 60:0.#} min"),
    };
}
