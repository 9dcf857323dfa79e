using System.Net.Http;
using System.Security.Cryptography;
using System.Text.Json;
using DthGrains.Cli.Catalogue;
using Spectre.Console;

namespace DthGrains.Cli.Platform;

/// <summary>
/// How every <c>dth</c> command reports a failure: <c>error: &lt;message&gt;</c> on standard error (so that
/// <c>dth run show X --json &gt; x.json</c> never writes an error into the file), never a stack trace, and an exit code
/// that says which kind of failure it was.
/// </summary>
public static class CliErrors
{
    /// <summary>A usage or file error: the input is the user's to fix.</summary>
    public const int Usage = 1;

    /// <summary>The platform answered with an error.</summary>
    public const int Api = 2;

    /// <summary>The platform refused the caller (401, 403).</summary>
    public const int Denied = 3;

    /// <summary>The platform could not be reached, did not answer in time, or the connection dropped.</summary>
    public const int Unreachable = 4;

    /// <summary>Stopped by Ctrl-C (as shells report SIGINT).</summary>
    public const int Interrupted = 130;

    private static IAnsiConsole? _console;

    /// <summary>
    /// Standard error as a Spectre console, for errors, spinners and status lines that must not mix with the data a
    /// command prints. Settable, as <see cref="AnsiConsole.Console"/> is, for tests that run the CLI in-process.
    /// </summary>
    public static IAnsiConsole Console
    {
        get => _console ??= Create();
        set => _console = value;
    }

    private static IAnsiConsole Create()
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(System.Console.Error) });
        // Spectre wraps a line at the console's width, 80 columns for a redirected stream: an error in a log or a pipe
        // stays one line (to grep), as it is no table to lay out.
        console.Profile.Width = System.Console.IsErrorRedirected ? RedirectedWidth
            : CliApp.ConsoleWidth(redirected: false, Environment.GetEnvironmentVariable("COLUMNS"), console.Profile.Width);
        return console;
    }

    /// <summary>Columns of a redirected standard error: wide enough to keep any message on one line.</summary>
    private const int RedirectedWidth = 10_000;

    /// <summary>Prints <c>error: &lt;message&gt;</c> on standard error.</summary>
    public static void Print(string message) => Console.MarkupLineInterpolated($"[red]error:[/] {message}");

    /// <summary>Prints what went wrong and returns the exit code for it. Cancellation by Ctrl-C prints nothing.</summary>
    public static int Report(Exception ex)
    {
        var (code, message) = Explain(ex);
        if (message is not null) Print(message);
        // A failure that is not the user's is a bug of dth: its stack trace on request only.
        if (code == Usage && IsUnexpected(ex) && Environment.GetEnvironmentVariable("DTH_DEBUG") is { Length: > 0 })
            System.Console.Error.WriteLine(ex);
        return code;
    }

    /// <summary>The exit code and message for a failure (no message for Ctrl-C).</summary>
    public static (int Code, string? Message) Explain(Exception ex) => ex switch
    {
        ApiException { Status: 401 or 403 } api => (Denied, $"{api.Status} {api.Message}"),
        ApiException api => (Api, $"{api.Status} {api.Message}"),
        PlatformTimeoutException timeout => (Unreachable, timeout.Message),
        // An HttpClient timeout that did not come through ApiClient (which names its bound).
        OperationCanceledException { InnerException: TimeoutException } =>
            (Unreachable, "the platform did not answer in time (it may be busy, or its silos stopped: 'dth cluster silos' lists them; try again later)"),
        OperationCanceledException => (Interrupted, null),
        HttpRequestException http => (Unreachable, $"cannot reach the API: {http.Message}. Is the platform running (ops/run.sh)? Set --url or DTH_URL."),
        // The platform's connection dropped mid-answer (HttpIOException is an IOException, but not the user's file).
        HttpIOException io => (Unreachable, $"the connection to the platform dropped: {io.Message}. Try again."),
        _ => (Usage, IsUnexpected(ex) ? $"{ex.Message} ({ex.GetType().Name}; DTH_DEBUG=1 shows where)" : ex.Message),
    };

    /// <summary>Failures that say something about what the user gave (an option, a file, a key, the configuration).</summary>
    private static bool IsUnexpected(Exception ex) => ex is not (UsageException or IOException or UnauthorizedAccessException
        or ArgumentException or FormatException or JsonException or CryptographicException or InvalidDataException);
}

/// <summary>A request the platform did not answer within the client's bound (HttpClient reports it as a cancellation).</summary>
public sealed class PlatformTimeoutException(TimeSpan bound, Exception inner)
    : Exception($"the platform did not answer within {bound.TotalSeconds:0} s (it may be busy, or its silos stopped: 'dth cluster silos' lists them; try again later)", inner);
