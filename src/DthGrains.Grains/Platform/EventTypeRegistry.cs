using DthGrains.Domain.Catalogue;
using DthGrains.Domain.Ecosystem;
using DthGrains.Domain.Governance;
using DthGrains.Domain.Federation;
using DthGrains.Domain.Provenance;
using DthGrains.Domain.Runs;
using DthGrains.Domain.Twins;

namespace DthGrains.Grains.Platform;

/// <summary>
/// Every event type with its explicit, stable stored name. Marten maps exactly these; a test checks that
/// each has a JSON Schema under schemas/events/.
/// </summary>
public static class EventTypeRegistry
{
    public static readonly IReadOnlyDictionary<Type, string> All =
        new[] { EcosystemEventTypes.Names, FederationEventTypes.Names, CatalogueEventTypes.Names, ProvenanceEventTypes.Names, GovernanceEventTypes.Names, TwinEventTypes.Names, RunEventTypes.Names }
            .SelectMany(d => d)
            .ToDictionary(p => p.Key, p => p.Value);

    private static readonly IReadOnlyDictionary<string, Type> ByName = All.ToDictionary(p => p.Value, p => p.Key, StringComparer.Ordinal);

    /// <summary>The .NET type stored under <paramref name="name"/>, if any.</summary>
    public static Type? TypeOf(string name) => ByName.GetValueOrDefault(name);

    public static string NameOf(Type type) =>
        All.TryGetValue(type, out var name) ? name : throw new InvalidOperationException($"Event type {type.Name} has no stable name; add it to a *EventTypes.Names map.");
}
