using Orleans.Runtime.MembershipService.SiloMetadata;

namespace DthGrains.Grains.Federation;

/// <summary>Answers "does institution X have a live silo?" so callers can say 503 with the reason before placement fails.</summary>
public sealed class InstitutionSilos(IClusterMembershipService membership, ISiloMetadataCache metadata)
{
    public IReadOnlyList<SiloAddress> LiveSilosOf(string institution) =>
        membership.CurrentSnapshot.Members.Values
            .Where(m => m.Status == SiloStatus.Active && InstitutionResidencyDirector.Hosts(metadata.GetSiloMetadata(m.SiloAddress).Metadata, institution))
            .Select(m => m.SiloAddress)
            .ToList();
}
