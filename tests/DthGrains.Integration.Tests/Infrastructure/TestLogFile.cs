using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Serilog;
using Serilog.Events;

namespace DthGrains.Integration.Tests.Infrastructure;

/// <summary>
/// Keeps the errors a test host logs (with their exceptions), and its transient-outage 503s, in a file per host under <c>DTH_TEST_LOG_DIR</c>, which
/// <c>ops/test.sh</c> sets and prints when a test fails: xunit drops a host's console, and a 500 or a seed that never
/// finishes is otherwise a mystery. Nothing is kept when the variable is unset.
/// </summary>
public static class TestLogFile
{
    private const string Template = "{Timestamp:HH:mm:ss.fff} {Level:u3} {SourceContext}: {Message:lj}{NewLine}{Exception}";

    public static void AddTo(IServiceCollection services, string host)
    {
        if (Environment.GetEnvironmentVariable("DTH_TEST_LOG_DIR") is not { Length: > 0 } folder) return;
        // Errors, and the platform's answers of 503 (warnings that name their cause): a test that meets a 503 fails
        // with only the status code otherwise.
        var file = new LoggerConfiguration()
            .MinimumLevel.Is(LogEventLevel.Warning)
            .Filter.ByIncludingOnly(e => e.Level >= LogEventLevel.Error || Serilog.Filters.Matching.FromSource("DthGrains.Silo.Platform.OutageExceptionHandler")(e))
            .WriteTo.File(Path.Combine(folder, $"{host}-{Guid.NewGuid():N}.log"), outputTemplate: Template)
            .CreateLogger();
        services.AddLogging(b => b.AddSerilog(file, dispose: true));
    }
}
