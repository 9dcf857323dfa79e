using System.Xml.Linq;
using DthGrains.Contracts.Ecosystem;
using DthGrains.Silo.Ecosystem;
using FluentAssertions;

namespace DthGrains.Integration.Tests.Ecosystem;

/// <summary>The GraphML writer alone: what graph tools need to load the map (no cluster).</summary>
public sealed class GraphMlExportTests
{
    private static readonly XNamespace Ns = "http://graphml.graphdrawing.org/xmlns";

    private static readonly EcosystemGraph Graph = new(
        [
            new GraphNode("initiative:dth", NodeKind.Initiative, "DTH federation", new Dictionary<string, string> { ["kind"] = "project" }),
            new GraphNode("organisation:x", NodeKind.Organisation, "Clinic \uFFFE of \u0001 X \uD800", new Dictionary<string, string> { ["country"] = "DE", ["name"] = "alias" }),
        ],
        [new GraphEdge("organisation:x", RelationKind.MemberOf, "initiative:dth", DateTimeOffset.UnixEpoch, "ecosystem-x", 3)]);

    /// <summary>The value a node carries for the key named <paramref name="attribute"/>, in the exported GraphML.</summary>
    private static string Value(string node, string attribute)
    {
        var xml = XDocument.Parse(EcosystemGraphEndpoint.ToGraphMl(Graph));
        var key = (string)xml.Descendants(Ns + "key").Single(k => (string?)k.Attribute("attr.name") == attribute).Attribute("id")!;
        return xml.Descendants(Ns + "node").Single(n => (string?)n.Attribute("id") == node)
            .Elements(Ns + "data").Single(d => (string?)d.Attribute("key") == key).Value;
    }

    [Fact]
    public void Declares_each_key_once_and_gives_each_node_one_value_per_key()
    {
        var xml = XDocument.Parse(EcosystemGraphEndpoint.ToGraphMl(Graph));

        var keys = xml.Descendants(Ns + "key").ToArray();
        keys.Select(k => (string?)k.Attribute("id")).Should().OnlyHaveUniqueItems();
        keys.Where(k => (string?)k.Attribute("for") == "node").Select(k => (string?)k.Attribute("attr.name"))
            .Should().OnlyHaveUniqueItems().And.Contain(["kind", "name", "attribute.kind", "attribute.name", "country"]);
        foreach (var element in xml.Descendants(Ns + "node").Concat(xml.Descendants(Ns + "edge")))
            element.Elements(Ns + "data").Select(d => (string?)d.Attribute("key")).Should().OnlyHaveUniqueItems();
        var ids = keys.Select(k => (string)k.Attribute("id")!).ToHashSet();
        xml.Descendants(Ns + "data").Select(d => (string)d.Attribute("key")!).Should().OnlyContain(k => ids.Contains(k));
    }

    [Fact]
    public void Keeps_the_node_kind_apart_from_an_initiatives_own_kind()
    {
        Value("initiative:dth", "kind").Should().Be("initiative");
        Value("initiative:dth", "attribute.kind").Should().Be("project");
    }

    [Fact]
    public void Replaces_characters_xml_cannot_carry_instead_of_failing()
    {
        Value("organisation:x", "name").Should().Be("Clinic \uFFFD of \uFFFD X \uFFFD");
        EcosystemGraphEndpoint.XmlSafe("Zürich 🧬\t").Should().Be("Zürich 🧬\t");
    }
}
