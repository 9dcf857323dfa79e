using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using DthGrains.Integration.Tests.Infrastructure;
using static DthGrains.Integration.Tests.Governance.GovernanceTestData;
using static DthGrains.Integration.Tests.Runs.RunTestData;

namespace DthGrains.Integration.Tests.Platform;

/// <summary>
/// <c>/metrics</c>, scraped over HTTP as Prometheus does: only operators may read it, and it counts what runs, the ledger
/// and the stewards did. The meters are shared by every host of the test process, so the checks are on increases at
/// least as large as what this test did, never on totals.
/// </summary>
[Collection(HostCollection.Name)]
public sealed partial class MetricsEndpointTests(HostFixture fixture)
{
    private TestHost Host => fixture.Host;

    [Fact]
    public async Task Only_an_operator_token_scrapes_the_metrics()
    {
        (await Host.Client().GetAsync("/metrics")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await Host.ClientAs("researcher", "tum").GetAsync("/metrics")).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await Host.ClientAs("steward", "charite").GetAsync("/metrics")).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        foreach (var role in new[] { "platform-admin", "institution-admin", "auditor" })
        {
            var response = await Host.ClientAs(role, "charite").GetAsync("/metrics");
            response.StatusCode.Should().Be(HttpStatusCode.OK, role);
            response.Content.Headers.ContentType!.MediaType.Should().Be("text/plain");
            (await response.Content.ReadAsStringAsync()).Should().Contain("# TYPE ", "the Prometheus text format");
        }
    }

    [Fact]
    public async Task A_completed_and_a_cancelled_run_and_a_stewards_decision_are_counted_with_their_kind_status_and_role()
    {
        await Eventually.Until(async () => (await Host.ClientAs("researcher", "tum").GetAsync("/api/catalogue/resources/charite-t1d-synthetic")).StatusCode,
            s => s == HttpStatusCode.OK, TimeSpan.FromSeconds(90), "the demo catalogue to be seeded");
        var before = await ScrapeAsync();
        var researcher = Host.ClientAs("researcher", "tum", subject: $"metrics-{Guid.NewGuid():N}"[..20]);

        var completed = await SubmitAsync(researcher, Cohort(size: 40, shardSize: 10, seed: 7));
        await WaitForStatusAsync(researcher, completed, "completed");
        (await ReadEventsAsync(researcher, completed)).Should().Contain(e => e.Event == "runs.run_completed", "followed over SSE to its end");
        var cancelled = await SubmitAsync(researcher, Cohort(size: 200_000, shardSize: 1_000, seed: 8));
        (await researcher.PostAsync($"/api/runs/{cancelled}/cancel", Body(new { reason = "metrics test" }))).StatusCode.Should().Be(HttpStatusCode.OK);
        await WaitForStatusAsync(researcher, cancelled, "cancelled");

        var application = await researcher.PostAsync("/api/access/requests", Body(Application(["charite-t1d-synthetic"])));
        application.StatusCode.Should().Be(HttpStatusCode.Created, await application.Content.ReadAsStringAsync());
        var id = (await JsonOf(application)).GetProperty("id").GetString()!;
        (await Host.ClientAs("steward", "charite").SendAsync(Decision(id, application.Headers.ETag!.Tag, approve: true))).StatusCode.Should().Be(HttpStatusCode.OK);

        var after = await ScrapeAsync();
        double Increase(string name, params string[] labels) => Sum(after, name, labels) - Sum(before, name, labels);

        Increase("dth_runs_submitted_total", "kind=cohort-trial").Should().BeGreaterThanOrEqualTo(2);
        Increase("dth_runs_ended_total", "kind=cohort-trial", "status=completed").Should().BeGreaterThanOrEqualTo(1);
        Increase("dth_runs_ended_total", "kind=cohort-trial", "status=cancelled").Should().BeGreaterThanOrEqualTo(1);
        Increase("dth_runs_duration_seconds_count", "kind=cohort-trial", "status=completed").Should().BeGreaterThanOrEqualTo(1);
        // The seeded host is a data silo: the 4 shards of the completed run were computed there.
        Increase("dth_runs_shards_total", "role=data").Should().BeGreaterThanOrEqualTo(4);
        Increase("dth_runs_shard_duration_seconds_count", "role=data").Should().BeGreaterThanOrEqualTo(4);
        // Submission, start, shards and end of both runs, and the application's submission, decision and grant.
        Increase("dth_ledger_events_total", "category=run").Should().BeGreaterThanOrEqualTo(8);
        Increase("dth_ledger_events_total", "category=access-request").Should().BeGreaterThanOrEqualTo(3);
        // Group commit puts several appends in one transaction: the two runs' submissions, the application and the decision at least.
        Increase("dth_ledger_commit_duration_seconds_count", "outcome=committed").Should().BeGreaterThanOrEqualTo(1);
        Increase("dth_ledger_batch_appends_sum").Should().BeGreaterThanOrEqualTo(4);
        Increase("dth_access_applications_total").Should().BeGreaterThanOrEqualTo(1);
        Increase("dth_access_decisions_total", "decision=approved").Should().BeGreaterThanOrEqualTo(1);
        Increase("dth_access_grants_total", "change=granted").Should().BeGreaterThanOrEqualTo(1);
        after.Should().Contain("# TYPE dth_runs_streams gauge", "open SSE streams are a gauge: up when one opens, down when it ends");

        // Durations in seconds have buckets in seconds (OpenTelemetry's default bounds are for milliseconds: 0, 5, 10, ...).
        foreach (var (histogram, bound) in new[] { ("dth_runs_shard_duration_seconds", "0.005"), ("dth_runs_duration_seconds", "0.05"), ("dth_ledger_commit_duration_seconds", "0.0005"), ("dth_ledger_batch_appends", "2") })
            after.Split('\n').Should().Contain(l => l.StartsWith(histogram + "_bucket{", StringComparison.Ordinal) && l.Contains($"le=\"{bound}\"", StringComparison.Ordinal), histogram);

        // Every family of ours on the page is one our meters declare, under the name the monitoring files use.
        var declared = DthMetricFamilies.Declared();
        var scraped = after.Split('\n').Where(l => l.StartsWith("# TYPE dth_", StringComparison.Ordinal)).Select(l => l.Split(' ')[2]).ToList();
        scraped.Should().Contain("dth_runs_ended_total").And.OnlyContain(f => declared.ContainsKey(f));

        // No tag names a run, a researcher or a dataset.
        after.Should().NotContain(completed).And.NotContain(cancelled).And.NotContain(id).And.NotContain("metrics-");
    }

    [Fact]
    public async Task Dth_cluster_metrics_prints_the_silos_counts_as_tables_for_operators_only()
    {
        var researcher = Host.ClientAs("researcher", "tum", subject: $"metrics-cli-{Guid.NewGuid():N}"[..24]);
        await WaitForStatusAsync(researcher, await SubmitAsync(researcher, Cohort(size: 20, shardSize: 10, seed: 9)), "completed");

        var (code, output) = await CliRunner.RunAsync(Host.BaseAddress, Host.Token("institution-admin", "charite"), "cluster", "metrics");
        code.Should().Be(0, output);
        output.Should().Contain("Runs (recorded by this silo's run grains)").And.Contain("Ledger commits").And.Contain("Data access");
        output.Split('\n').Should().Contain(l => l.Contains("│ cohort-trial", StringComparison.Ordinal) && l.Contains(" ms", StringComparison.Ordinal),
            "a row per kind, with its completed runs' times");

        var (json, machine) = await CliRunner.RunAsync(Host.BaseAddress, Host.Token("auditor", "dth-oversight"), "cluster", "metrics", "--json");
        json.Should().Be(0, machine);
        CliRunner.JsonIn(machine).EnumerateArray()
            .Should().Contain(s => s.GetProperty("name").GetString() == "dth_runs_ended_total" && s.GetProperty("labels").GetProperty("kind").GetString() == "cohort-trial");

        var (refused, message) = await CliRunner.RunAsync(Host.BaseAddress, Host.Token("researcher", "tum"), "cluster", "metrics");
        refused.Should().NotBe(0);
        message.Should().Contain("403").And.Contain("institution-admin");
    }

    private async Task<string> ScrapeAsync()
    {
        var response = await Host.ClientAs("platform-admin", "bsc").GetAsync("/metrics");
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>The sum of the samples of one metric whose labels include every given name=value (0 when there are none).</summary>
    private static double Sum(string exposition, string name, params string[] labels) =>
        exposition.Split('\n')
            .Select(line => Sample().Match(line))
            .Where(m => m.Success && m.Groups["name"].Value == name)
            .Where(m => labels.All(l => m.Groups["labels"].Value.Contains($"{l.Split('=')[0]}=\"{l.Split('=')[1]}\"", StringComparison.Ordinal)))
            .Sum(m => double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture));

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})?\s+(?<value>\S+)")]
    private static partial Regex Sample();
}
