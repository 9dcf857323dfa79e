using DthGrains.Silo.Platform;

await using var host = await DthHost.CreateAsync(args);
await host.RunAsync();

/// <summary>Entry point, visible to tests that start the real host.</summary>
public partial class Program;
