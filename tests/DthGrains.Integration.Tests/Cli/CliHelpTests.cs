using System.CommandLine;
using DthGrains.Cli.Platform;

namespace DthGrains.Integration.Tests.Cli;

/// <summary>What every command's help looks like: readable in an ordinary terminal.</summary>
public sealed class CliHelpTests
{
    /// <summary>
    /// The widest options column any command may have. An option whose values are listed in its help name
    /// (System.CommandLine lists the allowed values there when no help name is set) pushed every description of
    /// 'dth access apply' 150 characters to the right, so a terminal of ordinary width wrapped each line.
    /// </summary>
    private const int WidestOptionsColumn = 60;

    public static TheoryData<string> CommandPaths()
    {
        var paths = new TheoryData<string>();
        void Walk(Command command, string path)
        {
            paths.Add(path);
            foreach (var sub in command.Subcommands) Walk(sub, path.Length == 0 ? sub.Name : $"{path} {sub.Name}");
        }
        Walk(CliApp.Build(), "");
        return paths;
    }

    [Theory]
    [MemberData(nameof(CommandPaths))]
    public async Task A_commands_help_keeps_its_descriptions_within_an_ordinary_terminals_reach(string path)
    {
        using var writer = new StringWriter();
        string[] args = [.. path.Split(' ', StringSplitOptions.RemoveEmptyEntries), "--help"];
        int code = await CliApp.Build().Parse(args).InvokeAsync(new InvocationConfiguration { Output = writer, Error = writer });

        code.Should().Be(0);
        var help = writer.ToString();
        var optionLines = help.Split('\n').Where(line => line.StartsWith("  -", StringComparison.Ordinal)).ToList();
        optionLines.Should().NotBeEmpty("every command has at least --help");
        foreach (var line in optionLines)
        {
            int description = line.IndexOf("  ", 2, StringComparison.Ordinal);
            if (description < 0) continue; // a line of its own, wrapped by the help writer
            description.Should().BeLessThanOrEqualTo(WidestOptionsColumn, $"'{line.Trim()}' of 'dth {path}' needs a HelpName");
        }
    }

    [Fact]
    public void The_catalogue_lists_everything_under_the_name_a_newcomer_tries_first()
    {
        var result = CliApp.Build().Parse(["catalogue", "list", "--kind", "model"]);

        result.Errors.Should().BeEmpty();
        result.CommandResult.Command.Name.Should().Be("search");
    }
}
