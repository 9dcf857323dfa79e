using Orleans.Placement;
using Orleans.Runtime.MembershipService.SiloMetadata;
using Orleans.Runtime.Placement;

namespace DthGrains.Grains.Runs;

/// <summary>
/// HPC first: a grain with this attribute is placed on silos whose metadata role is <c>hpc</c> when any is live,
/// otherwise on any compatible silo (unlike data residency, this is a preference, never a refusal).
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class HpcPreferredAttribute() : PlacementFilterAttribute(new HpcPreferenceStrategy());

public sealed class HpcPreferenceStrategy() : PlacementFilterStrategy(order: 0);

public sealed class HpcPreferenceDirector(ISiloMetadataCache metadata) : IPlacementFilterDirector
{
    /// <summary>Silo metadata key of the role (the same key the host writes: SiloSetup.RoleKey).</summary>
    public const string RoleKey = "role";

    public const string HpcRole = "hpc";

    public IEnumerable<SiloAddress> Filter(PlacementFilterStrategy filterStrategy, PlacementTarget target, IEnumerable<SiloAddress> silos)
    {
        // An external model's shard is placed by ExternalModelHostsDirector (its hosts, hpc first among them): preferring
        // hpc silos here first could leave only silos without the code, whichever filter Orleans applies first.
        if (ExternalModelHostsDirector.ModelOf(target) is not null) return silos;
        var all = silos.ToList();
        var hpc = all.Where(IsHpc).ToList();
        return hpc.Count > 0 ? hpc : all;
    }

    public bool IsHpc(SiloAddress silo) =>
        metadata.GetSiloMetadata(silo).Metadata.TryGetValue(RoleKey, out var role) && role == HpcRole;
}
