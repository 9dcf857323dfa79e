using DthGrains.Grains.Platform;
using DthGrains.Grains.Provenance;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Orleans.Placement;

namespace DthGrains.Grains.Runs;

public static class RunServices
{
    /// <summary>Simulation runs: options (section Dth:Runs), the numerics warm-up, worker slots, the hpc-first placement, the read model and the as-of replay of run streams.</summary>
    public static IServiceCollection AddDthRuns(this IServiceCollection services, Action<RunOptions>? configure = null)
    {
        services.AddOptions<RunOptions>().BindConfiguration("Dth:Runs");
        if (configure is not null) services.Configure(configure);
        services.AddSingleton<RunWorkerSlots>();
        services.AddHostedService<NumericsWarmUpService>();
        services.AddHostedService<RunRevival>();
        services.AddHostedService<RunRowsRetention>();
        services.TryAddSingleton<IShardGate, OpenShardGate>();
        services.TryAddSingleton<ISeedFitGate, OpenSeedFitGate>();
        services.AddPlacementFilter<HpcPreferenceStrategy, HpcPreferenceDirector>(ServiceLifetime.Singleton);
        services.TryAddSingleton<HpcPreferenceDirector>(); // ExternalModelHostsDirector asks it which silos are hpc
        services.AddPlacementFilter<ExternalModelHostsStrategy, ExternalModelHostsDirector>(ServiceLifetime.Singleton);
        services.AddSingleton<RunProjection>();
        services.AddSingleton<IInlineProjection>(sp => sp.GetRequiredService<RunProjection>());
        services.AddSingleton<IAppendObserver>(sp => sp.GetRequiredService<RunProjection>());
        // Owner, status and rows kept in columns of their own (indexed): the run list and every submission's admission
        // (ResearcherRuns) filter and sum by them, and reading them from the JSON body would detoast every run's document,
        // bands and all (tens of KB each), per submission. By last change for the rows retention sweep (runs that ended
        // before a cut-off). Marten fills a newly added column from the existing documents when it adds it.
        services.ConfigureMarten(o => o.Schema.For<RunDocument>().Duplicate(d => d.Owner).Duplicate(d => d.Status).Duplicate(d => d.RowBytes).Index(d => d.UpdatedAt));
        services.AddReplayFolder(Domain.Runs.RunEventTypes.StreamPrefix, key => Domain.Runs.RunState.Initial(key[Domain.Runs.RunEventTypes.StreamPrefix.Length..]),
            Domain.Runs.RunState.Evolve, s => s.Exists ? s.ToView() : null);
        return services;
    }
}
