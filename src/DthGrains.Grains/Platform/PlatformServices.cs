using DthGrains.Grains.Catalogue;
using DthGrains.Grains.Federation;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Orleans.Placement;

namespace DthGrains.Grains.Platform;

/// <summary>Registers what every DthGrains silo runs besides Marten: federation presence and membership following.</summary>
public static class PlatformServices
{
    public static IServiceCollection AddDthFederation(this IServiceCollection services, Action<FederationOptions> configure)
    {
        services.Configure(configure);
        services.AddSingleton<SiloPresence>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<SiloPresence>());
        services.AddHostedService<SiloMembershipWatcher>();
        services.AddPlacementFilter<InstitutionResidencyStrategy, InstitutionResidencyDirector>(ServiceLifetime.Singleton);
        services.AddSingleton<InstitutionSilos>();
        return services;
    }

    /// <summary>The catalogue's silo-side services: payload databases of the hosted institutions, search, the access policy.</summary>
    public static IServiceCollection AddDthCatalogue(this IServiceCollection services, Action<PayloadDatabaseOptions> configure)
    {
        services.Configure(configure);
        services.AddSingleton<PayloadDatabases>();
        services.AddSingleton<PayloadStore>();
        services.AddSingleton<CatalogueSearch>();
        // Governance's policy decision point is the only path for payload reads (and, later, runs).
        services.AddSingleton<IDatasetAccessPolicy, Governance.PolicyDecisionPoint>();
        return services;
    }
}
