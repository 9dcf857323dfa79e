using DthGrains.Contracts.Catalogue;
using Orleans.Placement;
using Orleans.Runtime.MembershipService.SiloMetadata;
using Orleans.Runtime.Placement;

namespace DthGrains.Grains.Federation;

/// <summary>
/// Data residency (invariant 4): a grain with this attribute is placed only on silos whose metadata lists the
/// institution named in its key (<c>{institution}/{id}</c>). With no such silo alive, placement fails: the
/// grain is never placed elsewhere.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class InstitutionResidencyAttribute() : PlacementFilterAttribute(new InstitutionResidencyStrategy());

public sealed class InstitutionResidencyStrategy() : PlacementFilterStrategy(order: 0);

public sealed class InstitutionResidencyDirector(ISiloMetadataCache metadata) : IPlacementFilterDirector
{
    /// <summary>Silo metadata key: the comma-separated institutions whose data a silo may hold.</summary>
    public const string InstitutionsKey = "institutions";

    public IEnumerable<SiloAddress> Filter(PlacementFilterStrategy filterStrategy, PlacementTarget target, IEnumerable<SiloAddress> silos)
    {
        var (institution, _) = DatasetKeys.Parse(target.GrainIdentity.Key.ToString()!);
        return silos.Where(s => Hosts(metadata.GetSiloMetadata(s).Metadata, institution));
    }

    public static bool Hosts(IReadOnlyDictionary<string, string> siloMetadata, string institution) =>
        institution.Length > 0 && InstitutionsOf(siloMetadata).Contains(institution, StringComparer.Ordinal);

    /// <summary>The institutions a silo's metadata names (none when it names none).</summary>
    public static string[] InstitutionsOf(IReadOnlyDictionary<string, string> siloMetadata) =>
        siloMetadata.TryGetValue(InstitutionsKey, out var list) ? list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) : [];
}

/// <summary>What a resident grain answers when asked where it runs (residency checks): <c>inst,…@silo</c>.</summary>
public static class Residency
{
    public static string Describe(FederationOptions federation, ILocalSiloDetails silo) =>
        $"{string.Join(',', federation.Institutions)}@{silo.SiloAddress.ToParsableString()}";
}
