using DthGrains.Cli.Platform;

return await CliApp.Build().Parse(args).InvokeAsync();
