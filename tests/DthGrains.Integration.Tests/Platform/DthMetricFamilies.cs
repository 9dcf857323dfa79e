using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using DthGrains.Silo.Platform;

namespace DthGrains.Integration.Tests.Platform;

/// <summary>
/// The Prometheus metric families our own meters declare, named as OpenTelemetry's Prometheus exporter names them: dots
/// to underscores, the unit's suffix for seconds, <c>_total</c> for counters (not for up-down counters, which are gauges); a histogram family also answers to its
/// <c>_bucket</c>, <c>_sum</c> and <c>_count</c> series. Read from the instruments themselves (a listener sees every
/// instrument a meter created, recorded or not), so a family counts before anything was measured.
/// </summary>
internal static class DthMetricFamilies
{
    public static IReadOnlyDictionary<string, bool> Declared()
    {
        // The meters' instruments are static fields: make sure each class has created them.
        foreach (var type in new[] { typeof(Grains.Runs.RunMetrics), typeof(Grains.Platform.LedgerMetrics), typeof(Grains.Governance.GovernanceMetrics),
                     typeof(Simulation.Models.External.ExternalCodeMetrics) })
            RuntimeHelpers.RunClassConstructor(type.TypeHandle);
        var families = new Dictionary<string, bool>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (!Telemetry.DthMeters.Contains(instrument.Meter.Name)) return;
                var name = instrument.Name.Replace('.', '_') + (instrument.Unit == "s" ? "_seconds" : "");
                var kind = instrument.GetType().IsGenericType ? instrument.GetType().GetGenericTypeDefinition() : null;
                var histogram = kind == typeof(Histogram<>);
                // Counters are exported with _total; an up-down counter is a gauge, exported as it is named.
                families[histogram || kind == typeof(UpDownCounter<>) ? name : name + "_total"] = histogram;
            },
        };
        listener.Start();
        return families;
    }

    /// <summary>The family a series belongs to (<c>dth_runs_duration_seconds_bucket</c> is <c>dth_runs_duration_seconds</c>), or null when none declared it.</summary>
    public static string? FamilyOf(string series, IReadOnlyDictionary<string, bool> declared)
    {
        if (declared.ContainsKey(series)) return series;
        foreach (var suffix in new[] { "_bucket", "_sum", "_count" })
            if (series.EndsWith(suffix, StringComparison.Ordinal) && declared.TryGetValue(series[..^suffix.Length], out var histogram) && histogram)
                return series[..^suffix.Length];
        return null;
    }
}
