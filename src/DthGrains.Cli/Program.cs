using DthGrains.Cli.Platform;
using DthGrains.Simulation.Models.External;
using Spectre.Console;

// External models' codes run in sessions of their own (dth sim external --try, dth run verify): an interrupted dth takes them with it.
ExternalModel.KillCodesOnSignals();
AnsiConsole.Profile.Width = CliApp.ConsoleWidth(Console.IsOutputRedirected, Environment.GetEnvironmentVariable("COLUMNS"), AnsiConsole.Profile.Width);
return await CliApp.Build().Parse(args).InvokeAsync();
