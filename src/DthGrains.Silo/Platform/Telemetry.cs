using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace DthGrains.Silo.Platform;

/// <summary>Telemetry in one place: ASP.NET Core, HttpClient, runtime, Orleans, Marten, Npgsql and our runs' metrics (<see cref="Grains.Runs.RunMetrics"/>); OTLP only when configured.</summary>
public static class Telemetry
{
    public static IServiceCollection AddDthTelemetry(this IServiceCollection services, IConfiguration configuration, string institution)
    {
        var otel = services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("dthgrains-silo").AddAttributes([new("dth.institution", institution)]))
            .WithTracing(t => t
                .AddAspNetCoreInstrumentation(o => o.Filter = http => !http.Request.Path.StartsWithSegments("/health"))
                .AddHttpClientInstrumentation()
                .AddSource("Microsoft.Orleans.Runtime", "Microsoft.Orleans.Application", "Marten")
                .AddNpgsql())
            .WithMetrics(m => m
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter("Microsoft.Orleans", "Marten", "Npgsql", Grains.Runs.RunMetrics.MeterName));
        if (!string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"])) otel.UseOtlpExporter();
        return services;
    }
}
