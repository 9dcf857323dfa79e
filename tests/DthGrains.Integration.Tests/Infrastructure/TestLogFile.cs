using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DthGrains.Integration.Tests.Infrastructure;

/// <summary>
/// Keeps what test hosts log at Warning and above (with exceptions) in a file per host under <c>DTH_TEST_LOG_DIR</c>,
/// which <c>ops/test.sh</c> sets and prints from when a test fails: xunit drops a host's console, and a 500 or a seed
/// that never finishes is otherwise a mystery. Nothing is kept when the variable is unset.
/// </summary>
public static class TestLogFile
{
    public static void AddTo(IServiceCollection services, string host)
    {
        if (Environment.GetEnvironmentVariable("DTH_TEST_LOG_DIR") is not { Length: > 0 } folder) return;
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, $"{host}-{Guid.NewGuid():N}.log");
        services.AddLogging(b => b.AddProvider(new Provider(path)));
    }

    private sealed class Provider(string path) : ILoggerProvider
    {
        private readonly ConcurrentDictionary<string, Logger> _loggers = new();
        private readonly object _gate = new();

        public ILogger CreateLogger(string categoryName) => _loggers.GetOrAdd(categoryName, c => new Logger(this, c));

        public void Dispose()
        {
        }

        public void Write(string line)
        {
            lock (_gate) File.AppendAllText(path, line);
        }
    }

    private sealed class Logger(Provider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            provider.Write($"{DateTimeOffset.UtcNow:HH:mm:ss.fff} {logLevel} {category}: {formatter(state, exception)}{(exception is null ? "" : Environment.NewLine + exception)}{Environment.NewLine}");
        }
    }
}
