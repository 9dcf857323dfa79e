using DthGrains.Silo.Identity;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace DthGrains.Silo.Platform;

/// <summary>
/// Telemetry in one place: ASP.NET Core, HttpClient, runtime, Orleans, Marten, Npgsql and our own meters (runs, ledger,
/// governance). Metrics are always scraped at <see cref="MetricsPath"/> in the Prometheus text format, by an operator's
/// token; OTLP export of metrics and traces only when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set.
/// </summary>
public static class Telemetry
{
    /// <summary>Where Prometheus scrapes a silo (with a bearer token of a platform admin, institution admin or auditor).</summary>
    public const string MetricsPath = "/metrics";

    /// <summary>Our own meters: what a silo's operators watch beside the libraries' metrics.</summary>
    public static readonly string[] DthMeters = [Grains.Runs.RunMetrics.MeterName, Grains.Platform.LedgerMetrics.MeterName, Grains.Governance.GovernanceMetrics.MeterName];

    public static IServiceCollection AddDthTelemetry(this IServiceCollection services, IConfiguration configuration, string institution)
    {
        var otel = services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("dthgrains-silo").AddAttributes([new("dth.institution", institution)]))
            .WithTracing(t => t
                .AddAspNetCoreInstrumentation(o => o.Filter = http => !http.Request.Path.StartsWithSegments("/health") && !http.Request.Path.StartsWithSegments(MetricsPath))
                .AddHttpClientInstrumentation()
                .AddSource("Microsoft.Orleans.Runtime", "Microsoft.Orleans.Application", "Marten", Grains.Runs.RunTracing.SourceName)
                .AddNpgsql())
            .WithMetrics(m => m
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter("Microsoft.Orleans", "Marten", "Npgsql")
                .AddMeter(DthMeters)
                // Each scrape reads the numbers as they are (the exporter's default keeps an answer for 300 ms).
                .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0));
        if (!string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"])) otel.UseOtlpExporter();
        return services;
    }

    /// <summary>The Prometheus scraping endpoint, for operators only: its numbers say how busy each institution's data and silos are.</summary>
    public static void MapDthMetrics(this WebApplication app) =>
        app.MapPrometheusScrapingEndpoint(MetricsPath).RequireAuthorization(IdentitySetup.Operators).ExcludeFromDescription();
}
