using DthGrains.Contracts.Ecosystem;
using DthGrains.Domain.Ecosystem;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace DthGrains.Grains.Provenance;

/// <summary>The ledger's grain-side services: key, reader, checkpoints, verification, replay and the ecosystem's folders.</summary>
public static class LedgerServices
{
    public static IServiceCollection AddDthLedgerCore(this IServiceCollection services, Action<LedgerOptions> configure)
    {
        services.AddOptions<LedgerOptions>().Configure(configure);
        services.AddSingleton<LedgerKey>();
        services.AddSingleton<LedgerReader>();
        services.AddSingleton<LedgerCheckpoints>();
        services.AddSingleton<LedgerAudit>();
        services.AddSingleton<ReplayFolders>();
        services.AddSingleton<StreamReplayer>();
        services.AddSingleton(sp => new LineageService(sp.GetRequiredService<LedgerReader>(), sp.GetRequiredService<Marten.IDocumentStore>(),
            unreadable: sp.GetService<Platform.UnreadableEvents>(), queryBudget: sp.GetRequiredService<IOptions<LedgerOptions>>().Value.LineageQueryBudget));
        services.AddHostedService<LineageCatchUp>();
        services.AddSingleton<SubjectAccessLog>();
        services.AddSingleton<DecisionContexts>();
        services.AddSingleton<LedgerScheduler>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<LedgerScheduler>());

        foreach (var prefix in new[] { "organisation:", "person:", "initiative:" })
            services.AddReplayFolder(prefix, EcosystemNode, NodeState.Evolve, s => s.Exists ? s.ToView() : null);
        return services;
    }

    private static NodeState EcosystemNode(string streamKey) =>
        NodeRef.TryParse(streamKey, out var node) ? NodeState.Initial(node) : throw new InvalidOperationException($"'{streamKey}' is not an ecosystem node.");
}
