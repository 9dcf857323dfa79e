using System.CommandLine;
using DthGrains.Cli.Platform;
using Spectre.Console;

namespace DthGrains.Integration.Tests.Infrastructure;

/// <summary>
/// Runs <c>dth</c> in-process as Program.cs does, with --url and --token, and returns its exit code and everything
/// it printed. Console.Out and AnsiConsole.Console are process-wide: runs are serialised across all test collections.
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
        var (previousOut, previousConsole) = (Console.Out, AnsiConsole.Console);
        Console.SetOut(writer);
        AnsiConsole.Console = console;
        try
        {
            var code = await CliApp.Build().Parse([.. args, "--url", baseAddress.ToString(), "--token", token])
                .InvokeAsync(new InvocationConfiguration { Output = writer, Error = writer });
            return (code, writer.ToString());
        }
        finally
        {
            Console.SetOut(previousOut);
            AnsiConsole.Console = previousConsole;
            OneAtATime.Release();
        }
    }
}
