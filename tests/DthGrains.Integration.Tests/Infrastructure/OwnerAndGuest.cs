using DthGrains.Grains.Federation;
using Microsoft.Extensions.DependencyInjection;
using static DthGrains.Integration.Tests.Twins.TwinTestData;

namespace DthGrains.Integration.Tests.Infrastructure;

/// <summary>
/// Two institutions of one cluster, for data-residency tests: Charité's silo (also hosting Inria, for the demo seed) holds
/// the data, TUM's silo holds none. Once started, TUM sees Charité's silo live, the demo catalogue is seeded and a TUM
/// researcher holds a grant to simulate on Charité's synthetic dataset.
/// </summary>
public sealed class OwnerAndGuest : IAsyncDisposable
{
    private readonly (string ConnectionString, string ClusterId, string Key) _cluster;
    private readonly TimeProvider? _ownerClock;
    private readonly Action<IServiceCollection>? _services;

    private OwnerAndGuest(TestHost owner, TestHost guest, HttpClient researcher, string subject, string grantRequest, (string, string, string) cluster,
        TimeProvider? ownerClock, Action<IServiceCollection>? services)
    {
        _ownerClock = ownerClock;
        _services = services;
        Owner = owner;
        Guest = guest;
        Researcher = researcher;
        ResearcherSubject = subject;
        GrantRequest = grantRequest;
        _cluster = cluster;
    }

    public TestHost Owner { get; private set; }

    public TestHost Guest { get; }

    /// <summary>A researcher of TUM with the grant, calling TUM's silo.</summary>
    public HttpClient Researcher { get; }

    public string ResearcherSubject { get; }

    /// <summary>The access request whose approval gave the researcher the grant.</summary>
    public string GrantRequest { get; }

    public SiloAddress OwnerSilo => Owner.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress;

    public IGrainFactory GuestGrains => Guest.Services.GetRequiredService<IGrainFactory>();

    /// <param name="ownerClock">Charité's domain clock, <paramref name="guestClock"/> TUM's: institutions' clocks need not agree.</param>
    /// <param name="services">applied to both silos (run options, say).</param>
    /// <param name="guestServices">applied to TUM's silo only, after <paramref name="services"/>.</param>
    public static async Task<OwnerAndGuest> StartAsync(string name, TimeProvider? ownerClock = null, TimeProvider? guestClock = null, Action<IServiceCollection>? services = null,
        Action<IServiceCollection>? guestServices = null)
    {
        var connectionString = await TestPostgres.CreateDatabaseAsync(name.Replace('-', '_'), orleansSchema: true);
        var clusterId = $"{name}-{Guid.NewGuid():N}";
        var key = Path.Combine(TestPostgres.NewTemporaryFolder($"{name}-key"), "key.pem");
        var owner = await TestHost.StartAsync("charite", seed: true, connectionString: connectionString, clusterId: clusterId, signingKeyPath: key,
            clock: ownerClock, services: services);
        TestHost? guest = null;
        try
        {
            guest = await TestHost.StartAsync("tum", connectionString: connectionString, clusterId: clusterId, alsoHosts: [], signingKeyPath: key,
                clock: guestClock, services: s =>
                {
                    services?.Invoke(s);
                    guestServices?.Invoke(s);
                });
            await OwnerSilosSeenAsync(guest, 1, "Charité's silo seen from TUM's");
            await SeedReady(guest);
            var subject = $"carla-{Guid.NewGuid():N}"[..16];
            var researcher = guest.ClientAs("researcher", "tum", subject);
            var (request, _) = await GrantAsync(guest, researcher);
            return new OwnerAndGuest(owner, guest, researcher, subject, request, (connectionString, clusterId, key), ownerClock, services);
        }
        catch
        {
            if (guest is not null) await guest.DisposeAsync();
            await owner.DisposeAsync();
            throw;
        }
    }

    /// <summary>Stops the owner's silo and waits until TUM's silo no longer sees it live.</summary>
    public async Task StopOwnerAsync()
    {
        await Owner.DisposeAsync();
        await OwnerSilosSeenAsync(Guest, 0, "Charité's silo to be gone");
    }

    /// <summary>Starts Charité's silo again (its data are where it left them) and waits until TUM's silo sees it live.</summary>
    public async Task RestartOwnerAsync()
    {
        Owner = await TestHost.StartAsync("charite", connectionString: _cluster.ConnectionString, clusterId: _cluster.ClusterId, signingKeyPath: _cluster.Key,
            clock: _ownerClock, services: _services);
        await OwnerSilosSeenAsync(Guest, 1, "Charité's silo seen again from TUM's");
    }

    public async ValueTask DisposeAsync()
    {
        await Guest.DisposeAsync();
        await Owner.DisposeAsync();
    }

    private static Task OwnerSilosSeenAsync(TestHost guest, int count, string what)
    {
        var silos = guest.Services.GetRequiredService<InstitutionSilos>();
        return Eventually.Until(() => Task.FromResult(silos.LiveSilosOf("charite").Count), n => n == count, TimeSpan.FromSeconds(30), what);
    }
}
