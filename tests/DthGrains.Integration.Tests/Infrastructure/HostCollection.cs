namespace DthGrains.Integration.Tests.Infrastructure;

/// <summary>One real host shared by the API tests of a collection; tests isolate themselves by fresh ids.</summary>
public sealed class HostFixture : IAsyncLifetime
{
    public TestHost Host { get; private set; } = null!;

    /// <summary>Starts the host and waits for the demo seed to finish: tests that read the seeded federation or catalogue
    /// would otherwise race it when they happen to run first.</summary>
    public async Task InitializeAsync()
    {
        Host = await TestHost.StartAsync(seed: true);
        await Twins.TwinTestData.SeedReady(Host);
    }

    public async Task DisposeAsync() => await Host.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class HostCollection : ICollectionFixture<HostFixture>
{
    public const string Name = "Platform host";
}
