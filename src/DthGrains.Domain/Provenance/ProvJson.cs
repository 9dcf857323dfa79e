using System.Globalization;
using System.Text.Json.Nodes;

namespace DthGrains.Domain.Provenance;

/// <summary>
/// A lineage graph as W3C PROV-JSON (https://www.w3.org/submissions/prov-json/): entities, activities and agents
/// keyed by qualified name, and one section per relation. Every relation carries <c>dth:stream</c> and
/// <c>dth:version</c>, the ledger event it was read from, so a PROV consumer can go back to the evidence.
/// </summary>
public static class ProvJson
{
    public const string Namespace = "https://dthgrains.eu/id/";

    /// <summary>Each relation's PROV-JSON section and the names of its two roles (from, to).</summary>
    private static readonly Dictionary<string, (string Section, string From, string To, string? Type)> Relations = new(StringComparer.Ordinal)
    {
        [ProvRelation.Used] = ("used", "prov:activity", "prov:entity", null),
        [ProvRelation.WasGeneratedBy] = ("wasGeneratedBy", "prov:entity", "prov:activity", null),
        [ProvRelation.WasAssociatedWith] = ("wasAssociatedWith", "prov:activity", "prov:agent", null),
        [ProvRelation.WasAttributedTo] = ("wasAttributedTo", "prov:entity", "prov:agent", null),
        [ProvRelation.WasDerivedFrom] = ("wasDerivedFrom", "prov:generatedEntity", "prov:usedEntity", null),
        [ProvRelation.WasRevisionOf] = ("wasDerivedFrom", "prov:generatedEntity", "prov:usedEntity", "prov:Revision"),
        [ProvRelation.WasInformedBy] = ("wasInformedBy", "prov:informed", "prov:informant", null),
        [ProvRelation.ActedOnBehalfOf] = ("actedOnBehalfOf", "prov:delegate", "prov:responsible", null),
        [ProvRelation.WasInvalidatedBy] = ("wasInvalidatedBy", "prov:entity", "prov:activity", null),
        [ProvRelation.WasInfluencedBy] = ("wasInfluencedBy", "prov:influencee", "prov:influencer", null),
        [ProvRelation.SpecializationOf] = ("specializationOf", "prov:specificEntity", "prov:generalEntity", null),
    };

    /// <summary>Relations whose PROV-JSON form has a time.</summary>
    private static readonly HashSet<string> Timed = ["used", "wasGeneratedBy", "wasInvalidatedBy"];

    public static JsonObject From(LineageGraph graph)
    {
        var doc = new JsonObject
        {
            ["prefix"] = new JsonObject { ["dth"] = Namespace, ["prov"] = "http://www.w3.org/ns/prov#", ["xsd"] = "http://www.w3.org/2001/XMLSchema#" },
        };
        foreach (var node in graph.Nodes)
        {
            var section = node.Kind switch { ProvKind.Activity => "activity", ProvKind.Agent => "agent", _ => "entity" };
            var element = new JsonObject { ["prov:label"] = node.Label, ["prov:type"] = $"dth:{node.Type}" };
            if (node.At is { } at) element[node.Kind == ProvKind.Activity ? "prov:startTime" : "dth:at"] = Time(at);
            foreach (var (key, value) in node.Attributes ?? new Dictionary<string, string>()) element[$"dth:{key}"] = value;
            Section(doc, section)[Name(node.Id)] = element;
        }
        var counters = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var edge in graph.Edges)
        {
            var (section, from, to, type) = Relations[edge.Relation];
            var n = counters[section] = counters.GetValueOrDefault(section) + 1;
            var relation = new JsonObject { [from] = Name(edge.From), [to] = Name(edge.To) };
            if (type is not null) relation["prov:type"] = type;
            if (edge.At is { } at && Timed.Contains(section)) relation["prov:time"] = Time(at);
            relation["dth:stream"] = edge.Stream;
            relation["dth:version"] = edge.Version;
            foreach (var (key, value) in edge.Attributes ?? new Dictionary<string, string>()) relation[$"dth:{key}"] = value;
            Section(doc, section)[$"_:{section}{n}"] = relation;
        }
        return doc;
    }

    /// <summary>The qualified name of a node: the <c>dth</c> prefix and the node id (PROV-N local names allow ':', '/' and '@').</summary>
    public static string Name(string id) => $"dth:{id}";

    private static JsonObject Section(JsonObject doc, string name) => doc[name] as JsonObject ?? (JsonObject)(doc[name] = new JsonObject())!;

    private static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);
}
