using System.Text.Json;
using System.Text.RegularExpressions;
using DthGrains.Integration.Tests.Infrastructure;
using DthGrains.Silo.Platform;

namespace DthGrains.Integration.Tests.Platform;

/// <summary>The monitoring files in ops/monitoring ask for metrics the silos declare, at the path they serve them.</summary>
public sealed partial class MonitoringFilesTests
{
    private static string Monitoring(string file) => Path.Combine(Repository.Root(), "ops", "monitoring", file);

    [Fact]
    public void Every_dashboard_query_names_metric_families_the_silos_declare_and_every_family_has_a_panel()
    {
        var declared = DthMetricFamilies.Declared();
        declared.Should().ContainKeys("dth_runs_ended_total", "dth_runs_duration_seconds", "dth_ledger_events_total", "dth_access_decisions_total");

        using var dashboard = JsonDocument.Parse(File.ReadAllText(Monitoring("grafana-dashboard.json")));
        var expressions = dashboard.RootElement.GetProperty("panels").EnumerateArray()
            .Where(p => p.TryGetProperty("targets", out _))
            .SelectMany(p => p.GetProperty("targets").EnumerateArray().Select(t => t.GetProperty("expr").GetString()!))
            .ToList();
        expressions.Should().NotBeEmpty();
        var series = expressions.SelectMany(e => Series().Matches(e).Select(m => m.Value)).Distinct().ToList();

        series.Where(s => DthMetricFamilies.FamilyOf(s, declared) is null).Should().BeEmpty("a query for a series nobody exports shows an empty panel");
        declared.Keys.Except(series.Select(s => DthMetricFamilies.FamilyOf(s, declared)!)).Should().BeEmpty("every metric of ours is on the dashboard");
    }

    [Fact]
    public void Every_alert_expression_names_metric_families_the_silos_declare()
    {
        var declared = DthMetricFamilies.Declared();
        var rules = File.ReadAllLines(Monitoring("alerts.yml")).Where(l => l.TrimStart().StartsWith("expr:", StringComparison.Ordinal)).ToList();
        rules.Should().HaveCountGreaterThan(3);
        var series = rules.SelectMany(r => Series().Matches(r).Select(m => m.Value)).Distinct().ToList();
        series.Should().NotBeEmpty();
        series.Where(s => DthMetricFamilies.FamilyOf(s, declared) is null).Should().BeEmpty("an alert on a series nobody exports never fires");
    }

    [Fact]
    public void The_prometheus_configuration_scrapes_the_served_path_with_a_bearer_token()
    {
        var configuration = File.ReadAllText(Monitoring("prometheus.yml"));
        configuration.Should().Contain($"metrics_path: {Telemetry.MetricsPath}").And.Contain("type: Bearer");
    }

    [GeneratedRegex(@"\bdth_[a-z_]+\b")]
    private static partial Regex Series();
}
