using System.CommandLine;
using DthGrains.Cli.Ecosystem;
using DthGrains.Cli.Identity;

namespace DthGrains.Cli.Platform;

/// <summary>The whole <c>dth</c> command tree, built in one place for Program.cs and for tests that run the CLI in-process.</summary>
public static class CliApp
{
    public static RootCommand Build()
    {
        var root = new RootCommand("dth: the DthGrains command-line client")
        {
            CliSettings.Url,
            CliSettings.Token,
            CliSettings.Json,
        };
        root.Subcommands.Add(TokenCommand.Build());
        root.Subcommands.Add(EcosystemCommands.Build());
        foreach (var extra in CliExtensions.Commands()) root.Subcommands.Add(extra);
        return root;
    }

    /// <summary>
    /// Runs <c>dth</c> with <paramref name="args"/>, as Program.cs does. Whatever a command throws is reported by
    /// <see cref="CliErrors"/> (<c>error: ...</c> on standard error and an exit code), not by System.CommandLine's default
    /// handler, which prints "Unhandled exception" with a stack trace for a user's typo, and ends silently with exit code 1
    /// for an HttpClient timeout (which it takes for Ctrl-C).
    /// </summary>
    public static async Task<int> InvokeAsync(string[] args, InvocationConfiguration? configuration = null)
    {
        configuration ??= new InvocationConfiguration();
        configuration.EnableDefaultExceptionHandler = false;
        try
        {
            return await Build().Parse(args).InvokeAsync(configuration);
        }
        catch (Exception ex)
        {
            return CliErrors.Report(ex);
        }
    }

    /// <summary>Columns written to a file or a pipe when COLUMNS does not say: wide enough that a table keeps a row per line.</summary>
    public const int RedirectedWidth = 200;

    /// <summary>
    /// The width tables are laid out for: COLUMNS when set (Spectre.Console does not read it), else the terminal's; output
    /// going to a file or a pipe has no terminal, and Spectre's 80 columns there cut ids and titles into 9-character
    /// fragments over several lines (<c>dth run list | less</c>, <c>dth catalogue search &gt; found.txt</c>).
    /// </summary>
    public static int ConsoleWidth(bool redirected, string? columns, int detected) =>
        int.TryParse(columns, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var set) && set > 0 ? set
        : redirected ? RedirectedWidth : detected;
}
