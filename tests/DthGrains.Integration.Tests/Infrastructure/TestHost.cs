using Microsoft.Extensions.Configuration;
using System.Net.Http.Headers;
using DthGrains.Cli.Identity;
using DthGrains.Silo.Identity;
using DthGrains.Silo.Platform;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace DthGrains.Integration.Tests.Infrastructure;

/// <summary>
/// The real DthGrains host (silo + HTTP API) started in this process on free loopback ports, against a
/// fresh database of the shared test PostgreSQL, with its own data folder and signing key.
/// </summary>
public sealed class TestHost : IAsyncDisposable
{
    private TestHost(DthHost host, Uri baseAddress, string dataDirectory)
    {
        Host = host;
        BaseAddress = baseAddress;
        DataDirectory = dataDirectory;
    }

    public DthHost Host { get; }

    public Uri BaseAddress { get; }

    public string DataDirectory { get; }

    public string KeyPath => Host.Options.Identity.SigningKeyPath is { Length: > 0 } shared ? shared : StandaloneSigningKey.DefaultPath(DataDirectory);

    public IServiceProvider Services => Host.App.Services;

    /// <summary>The events of a dataset's access log (reads, refusals), oldest first.</summary>
    public async Task<IReadOnlyList<object>> AccessLogAsync(string institution, string dataset) =>
        (await Services.GetRequiredService<Grains.Platform.EventLog>().ReadAsync(Domain.Catalogue.CatalogueEventTypes.AccessLogOf(institution, dataset))).Select(e => e.Data).ToList();

    /// <param name="alsoHosts">the further institutions this silo plays; null keeps the standalone profile's (inria)</param>
    /// <param name="signingKeyPath">share one token key between hosts of one federation</param>
    public static async Task<TestHost> StartAsync(string institution = "charite", string role = "data", bool seed = false,
        string? connectionString = null, string? clusterId = null, IDictionary<string, string?>? settings = null,
        string[]? alsoHosts = null, string? signingKeyPath = null, TimeProvider? clock = null, Action<IServiceCollection>? services = null)
    {
        connectionString ??= await TestPostgres.CreateDatabaseAsync("host", orleansSchema: true);
        var data = TestPostgres.NewTemporaryFolder("host");
        var values = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Federation"] = connectionString,
            ["Urls"] = "http://127.0.0.1:0",
            ["Dth:Institution"] = institution,
            ["Dth:Role"] = role,
            ["Dth:ClusterId"] = clusterId ?? $"test-{Guid.NewGuid():N}",
            ["Dth:SiloPort"] = FreePorts.Next().ToString(),
            ["Dth:GatewayPort"] = FreePorts.Next().ToString(),
            ["Dth:DataDirectory"] = data,
            ["Dth:Seed"] = seed ? "true" : "false",
            ["Logging:LogLevel:Default"] = "Warning",
            // Many hosts start in a test run: none spends its first seconds warming up the numerics.
            ["Dth:Runs:NumericsWarmUp"] = "00:00:00",
        };
        if (alsoHosts is not null)
        {
            // Configuration arrays merge by index: overwrite the profile's entry (an own-institution entry is a no-op).
            values["Dth:AlsoHosts:0"] = alsoHosts.FirstOrDefault() ?? institution;
            for (var i = 1; i < alsoHosts.Length; i++) values[$"Dth:AlsoHosts:{i}"] = alsoHosts[i];
        }
        if (signingKeyPath is not null) values["Dth:Identity:SigningKeyPath"] = signingKeyPath;
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>()) values[k] = v;
        var host = await DthHost.CreateAsync(["--profile", "standalone"], c => c.AddInMemoryCollection(values),
            services: s =>
            {
                TestLogFile.AddTo(s, $"host-{institution}");
                if (clock is not null) s.AddSingleton(new Grains.Platform.DomainClock(clock));
                services?.Invoke(s);
            });
        await host.StartAsync();
        var address = host.App.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new TestHost(host, new Uri(address), data);
    }

    public HttpClient Client(string? token = null)
    {
        var client = new HttpClient { BaseAddress = BaseAddress };
        if (token is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public string Token(string role, string? institution = "charite", string? subject = null, TimeSpan? lifetime = null) =>
        StandaloneTokens.Mint(KeyPath, new StandaloneTokens.Request(subject ?? $"{role}-{institution}", subject ?? $"{role} at {institution}", institution, [role], lifetime ?? TimeSpan.FromHours(1)));

    public HttpClient ClientAs(string role, string? institution = "charite", string? subject = null) => Client(Token(role, institution, subject));

    public async ValueTask DisposeAsync()
    {
        await Host.StopAsync();
        await Host.DisposeAsync();
        // A stopped host's idle pooled connections would otherwise hold server slots until they time out.
        Npgsql.NpgsqlConnection.ClearAllPools();
        TestPostgres.DeleteFolder(DataDirectory);
    }
}
