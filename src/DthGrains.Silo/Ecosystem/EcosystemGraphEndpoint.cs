using System.Xml;
using DthGrains.Contracts.Ecosystem;
using DthGrains.Grains.Ecosystem;
using DthGrains.Silo.Platform;
using Marten;

namespace DthGrains.Silo.Ecosystem;

/// <summary>The whole map from the inline projection, as JSON or as GraphML for graph tools (Gephi, yEd, networkx).</summary>
public static class EcosystemGraphEndpoint
{
    public const string GraphMlContentType = "application/graphml+xml";

    public static async Task<IResult> GetGraph(HttpContext http, IDocumentStore store)
    {
        await using var session = store.QuerySession();
        var nodes = await session.Query<EcosystemNodeDocument>().OrderBy(n => n.Id).ToListAsync(http.RequestAborted);
        var edges = await session.Query<EcosystemEdgeDocument>().OrderBy(e => e.Id).ToListAsync(http.RequestAborted);
        var graph = new EcosystemGraph(
            nodes.Select(n => new GraphNode(n.Id, n.Kind, n.Name, Attributes(n))).ToArray(),
            edges.Select(e => new GraphEdge(e.From, e.Kind, e.To, e.Since, e.EvidenceStream, e.EvidenceVersion)).ToArray());

        var accept = http.Request.Headers.Accept.ToString();
        return accept.Contains(GraphMlContentType, StringComparison.OrdinalIgnoreCase)
            ? Results.Text(ToGraphMl(graph), GraphMlContentType)
            : TypedResults.Json(graph, JsonDefaults.Options);
    }

    private static Dictionary<string, string> Attributes(EcosystemNodeDocument n)
    {
        var a = new Dictionary<string, string>(n.Attributes);
        if (n.Organisation is { } o)
        {
            a["type"] = JsonNames.Of(o.Type);
            a["country"] = o.Country;
            if (o.Website is not null) a["website"] = o.Website;
        }
        if (n.Person is { } p)
        {
            a["affiliation"] = p.Affiliation;
            a["roles"] = string.Join(",", p.Roles);
        }
        if (n.Initiative is { } i) a["kind"] = JsonNames.Of(i.Kind);
        return a;
    }

    /// <summary>
    /// GraphML of the map. Each key gets a generated id (d0, d1, …) because GraphML ids are NMTOKENs and attribute
    /// names are free text; an attribute that shares its name with a node's own field (an initiative's "kind") is
    /// named "attribute.kind" so no key is declared twice and no node carries two values for one key. Text that XML
    /// cannot carry (U+FFFE, control characters) is written as U+FFFD: a name typed with one must not make the whole
    /// map unreadable.
    /// </summary>
    public static string ToGraphMl(EcosystemGraph graph)
    {
        var nodeKeys = new Dictionary<string, string>(StringComparer.Ordinal);
        var declared = new List<(string Id, string For, string Name)>();
        string Declare(string target, string name)
        {
            var id = $"d{declared.Count}";
            declared.Add((id, target, name));
            return id;
        }
        var kindKey = Declare("node", "kind");
        var nameKey = Declare("node", "name");
        foreach (var k in graph.Nodes.SelectMany(n => n.Attributes.Keys).Distinct().Order(StringComparer.Ordinal))
            nodeKeys[k] = Declare("node", k is "kind" or "name" ? $"attribute.{k}" : k);
        var relationKey = Declare("edge", "relation");
        var sinceKey = Declare("edge", "since");
        var evidenceKey = Declare("edge", "evidence");

        using var text = new StringWriter();
        using (var xml = XmlWriter.Create(text, new XmlWriterSettings { Indent = true }))
        {
            const string ns = "http://graphml.graphdrawing.org/xmlns";
            xml.WriteStartElement("graphml", ns);
            foreach (var (id, target, name) in declared)
            {
                xml.WriteStartElement("key");
                xml.WriteAttributeString("id", id);
                xml.WriteAttributeString("for", target);
                xml.WriteAttributeString("attr.name", XmlSafe(name));
                xml.WriteAttributeString("attr.type", "string");
                xml.WriteEndElement();
            }
            xml.WriteStartElement("graph");
            xml.WriteAttributeString("id", "ecosystem");
            xml.WriteAttributeString("edgedefault", "directed");
            foreach (var n in graph.Nodes)
            {
                xml.WriteStartElement("node");
                xml.WriteAttributeString("id", XmlSafe(n.Id));
                WriteData(xml, kindKey, JsonNames.Of(n.Kind));
                WriteData(xml, nameKey, n.Name);
                foreach (var (k, v) in n.Attributes.OrderBy(a => a.Key, StringComparer.Ordinal)) WriteData(xml, nodeKeys[k], v);
                xml.WriteEndElement();
            }
            foreach (var e in graph.Edges)
            {
                xml.WriteStartElement("edge");
                xml.WriteAttributeString("source", XmlSafe(e.From));
                xml.WriteAttributeString("target", XmlSafe(e.To));
                WriteData(xml, relationKey, JsonNames.Of(e.Kind));
                WriteData(xml, sinceKey, e.Since.ToString("O"));
                WriteData(xml, evidenceKey, $"{e.EvidenceStream}@{e.EvidenceVersion}");
                xml.WriteEndElement();
            }
            xml.WriteEndElement();
            xml.WriteEndElement();
        }
        return text.ToString();
    }

    private static void WriteData(XmlWriter xml, string key, string value)
    {
        xml.WriteStartElement("data");
        xml.WriteAttributeString("key", key);
        xml.WriteString(XmlSafe(value));
        xml.WriteEndElement();
    }

    /// <summary>The text with every character XML 1.0 cannot carry (and every unpaired surrogate) replaced by U+FFFD.</summary>
    public static string XmlSafe(string value)
    {
        var firstBad = -1;
        for (var i = 0; i < value.Length && firstBad < 0; i++)
            if (!Carries(value, i, out var width)) firstBad = i; else i += width - 1;
        if (firstBad < 0) return value;
        var safe = new System.Text.StringBuilder(value.Length).Append(value, 0, firstBad);
        for (var i = firstBad; i < value.Length; i++)
        {
            if (Carries(value, i, out var width)) { safe.Append(value, i, width); i += width - 1; }
            else safe.Append('\uFFFD');
        }
        return safe.ToString();
    }

    private static bool Carries(string value, int i, out int width)
    {
        width = 1;
        var c = value[i];
        if (char.IsHighSurrogate(c))
        {
            if (i + 1 < value.Length && char.IsLowSurrogate(value[i + 1])) { width = 2; return true; }
            return false;
        }
        return XmlConvert.IsXmlChar(c);
    }
}
