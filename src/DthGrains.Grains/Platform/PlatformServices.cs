using DthGrains.Grains.Catalogue;
using DthGrains.Grains.Federation;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using DthGrains.Grains.Provenance;
using Marten;
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
        services.AddSingleton<Runs.ExternalModelHosts>();
        services.AddSingleton<ClusterView>();
        return services;
    }

    /// <summary>The catalogue's silo-side services: payload databases of the hosted institutions, search, the access policy.</summary>
    public static IServiceCollection AddDthCatalogue(this IServiceCollection services, Action<PayloadDatabaseOptions> configure)
    {
        services.Configure(configure);
        services.AddSingleton<PayloadDatabases>();
        services.AddSingleton<PayloadStore>();
        services.AddSingleton<CatalogueSearch>();
        services.AddReplayFolder("resource:", key => Domain.Catalogue.ResourceState.Initial(key["resource:".Length..]),
            Domain.Catalogue.ResourceState.Evolve, s => s.Exists ? s.ToView() : null);
        return services;
    }

    /// <summary>Governance: the policy decision point and the replay of access requests as of any moment.</summary>
    public static IServiceCollection AddDthGovernance(this IServiceCollection services)
    {
        // The only path for payload reads (and, later, runs).
        services.AddSingleton<IDatasetAccessPolicy, Governance.PolicyDecisionPoint>();
        services.AddReplayFolder("access-request:", key => Domain.Governance.AccessRequestState.Initial(key["access-request:".Length..]),
            Domain.Governance.AccessRequestState.Evolve, (s, at) => s.Exists ? s.ToView(at) : null);
        return services;
    }

    /// <summary>
    /// Twins: the read model and its projection, as-of replay of twin streams, the scenario runner (the seam to the
    /// simulation-run platform) and the watcher that marks twins stale after model, dataset and grant changes.
    /// </summary>
    public static IServiceCollection AddDthTwins(this IServiceCollection services, Action<Twins.TwinOptions>? configure = null)
    {
        services.AddOptions<Twins.TwinOptions>();
        if (configure is not null) services.Configure(configure);
        services.ConfigureMarten(o => o.Schema.For<Twins.TwinDocument>().Index(d => d.Owner));
        services.AddSingleton<IInlineProjection, Twins.TwinProjection>();
        services.TryAddSingleton<Twins.IScenarioRunner, Twins.RunPlatformScenarioRunner>();
        services.AddSingleton<Twins.TwinDependencyWatcher>();
        services.AddSingleton<IAppendObserver>(sp => sp.GetRequiredService<Twins.TwinDependencyWatcher>());
        services.AddHostedService(sp => sp.GetRequiredService<Twins.TwinDependencyWatcher>());
        services.AddReplayFolder(Domain.Twins.TwinEventTypes.StreamPrefix, key => Domain.Twins.TwinState.Initial(key[Domain.Twins.TwinEventTypes.StreamPrefix.Length..]),
            Domain.Twins.TwinState.Evolve, s => s.Exists ? s.ToView() : null);
        return services;
    }
}
