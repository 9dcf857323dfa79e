using DthGrains.Cli.Platform;
using Spectre.Console;

AnsiConsole.Profile.Width = CliApp.ConsoleWidth(Console.IsOutputRedirected, Environment.GetEnvironmentVariable("COLUMNS"), AnsiConsole.Profile.Width);
return await CliApp.InvokeAsync(args);
