using System.CommandLine;
using DthGrains.Cli.Platform;
using Spectre.Console;

namespace DthGrains.Integration.Tests.Infrastructure;

/// <summary>
/// Runs <c>dth</c> in-process as Program.cs does, with --url and --token, and returns its exit code and everything
/// it printed, standard output and error as one (errors go to <see cref="CliErrors.Console"/>; <see cref="DthProcess"/>
/// tells them apart). Console.Out and AnsiConsole.Console are process-wide: runs are serialised across all test collections.
/// </summary>
public static class CliRunner
{
    private static readonly SemaphoreSlim OneAtATime = new(1, 1);

    public static async Task<(int Code, string Output)> RunAsync(Uri baseAddress, string token, params string[] args)
    {
        await OneAtATime.WaitAsync();
        using var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Interactive = InteractionSupport.No,
        });
        console.Profile.Width = 400;
        var (previousOut, previousConsole, previousErrors) = (Console.Out, AnsiConsole.Console, CliErrors.Console);
        Console.SetOut(writer);
        AnsiConsole.Console = console;
        CliErrors.Console = console;
        try
        {
            var code = await CliApp.InvokeAsync([.. args, "--url", baseAddress.ToString(), "--token", token],
                new InvocationConfiguration { Output = writer, Error = writer });
            return (code, writer.ToString());
        }
        finally
        {
            Console.SetOut(previousOut);
            AnsiConsole.Console = previousConsole;
            CliErrors.Console = previousErrors;
            OneAtATime.Release();
        }
    }

    /// <summary>
    /// The JSON a command printed with <c>--json</c>: from its first line that opens an object or array ("{" or "[" alone)
    /// to the line that closes it. The console is the process's while a command runs, so a test host of another
    /// collection may log a line into the same output; the JSON itself is written in one piece.
    /// </summary>
    public static System.Text.Json.JsonElement JsonIn(string output)
    {
        var lines = output.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        var start = lines.FindIndex(l => l is "{" or "[");
        if (start < 0) throw new FormatException($"No JSON object or array in the output:\n{output}");
        var end = lines.IndexOf(lines[start] == "{" ? "}" : "]", start);
        if (end < 0) throw new FormatException($"The JSON in the output does not end:\n{output}");
        return System.Text.Json.JsonDocument.Parse(string.Join('\n', lines.Skip(start).Take(end - start + 1))).RootElement.Clone();
    }
}
