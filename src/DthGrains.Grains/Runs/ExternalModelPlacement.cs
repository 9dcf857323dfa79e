using Orleans.Placement;
using Orleans.Runtime.MembershipService.SiloMetadata;
using Orleans.Runtime.Placement;

namespace DthGrains.Grains.Runs;

/// <summary>
/// A shard of an external model's run goes to a silo that has the model's code (its metadata <see cref="ExternalModelHostsDirector.MetadataKey"/>
/// lists the model), hpc silos first among them. The run names the model in the ask's request context
/// (<see cref="ExternalModelHostsDirector.ContextKey"/>); shards of the engine's own models carry nothing and are left to <see cref="HpcPreferenceDirector"/>.
/// When no live silo has the code the shard is placed anywhere, and fails there saying the model is not installed, so
/// the run ends with the reason instead of waiting for a silo that may never come.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class ExternalModelHostsAttribute() : PlacementFilterAttribute(new ExternalModelHostsStrategy());

public sealed class ExternalModelHostsStrategy() : PlacementFilterStrategy(order: 1);

public sealed class ExternalModelHostsDirector(ISiloMetadataCache metadata, HpcPreferenceDirector hpc) : IPlacementFilterDirector
{
    /// <summary>Request-context key of the external model a worker is asked to run.</summary>
    public const string ContextKey = "dth.external-model";

    /// <summary>Silo metadata key: the ids of the external models whose code this silo has (comma-separated).</summary>
    public const string MetadataKey = "external-models";

    public IEnumerable<SiloAddress> Filter(PlacementFilterStrategy filterStrategy, PlacementTarget target, IEnumerable<SiloAddress> silos)
    {
        if (ModelOf(target) is not { } model) return silos;
        var all = silos.ToList();
        var hosts = all.Where(s => Hosts(s, model)).ToList();
        var candidates = hosts.Count > 0 ? hosts : all;
        var preferred = candidates.Where(hpc.IsHpc).ToList();
        return preferred.Count > 0 ? preferred : candidates;
    }

    /// <summary>The external model a placement is for, or null (an engine model's shard, or any other grain).</summary>
    public static string? ModelOf(PlacementTarget target) =>
        target.RequestContextData is { } data && data.TryGetValue(ContextKey, out var value) && value is string model ? model : null;

    private bool Hosts(SiloAddress silo, string model) => Lists(metadata.GetSiloMetadata(silo).Metadata, model);

    /// <summary>Whether a silo's metadata lists <paramref name="model"/> among the external models whose code it has.</summary>
    public static bool Lists(IReadOnlyDictionary<string, string> siloMetadata, string model) =>
        siloMetadata.TryGetValue(MetadataKey, out var list) && list.Split(',').Contains(model, StringComparer.Ordinal);
}
