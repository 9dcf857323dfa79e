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

    public static string ToGraphMl(EcosystemGraph graph)
    {
        var keys = graph.Nodes.SelectMany(n => n.Attributes.Keys).Distinct().Order().ToArray();
        using var text = new StringWriter();
        using (var xml = XmlWriter.Create(text, new XmlWriterSettings { Indent = true }))
        {
            const string ns = "http://graphml.graphdrawing.org/xmlns";
            xml.WriteStartElement("graphml", ns);
            WriteKey(xml, "kind", "node");
            WriteKey(xml, "name", "node");
            foreach (var k in keys) WriteKey(xml, k, "node");
            WriteKey(xml, "relation", "edge");
            WriteKey(xml, "since", "edge");
            WriteKey(xml, "evidence", "edge");
            xml.WriteStartElement("graph");
            xml.WriteAttributeString("id", "ecosystem");
            xml.WriteAttributeString("edgedefault", "directed");
            foreach (var n in graph.Nodes)
            {
                xml.WriteStartElement("node");
                xml.WriteAttributeString("id", n.Id);
                WriteData(xml, "kind", JsonNames.Of(n.Kind));
                WriteData(xml, "name", n.Name);
                foreach (var (k, v) in n.Attributes) WriteData(xml, k, v);
                xml.WriteEndElement();
            }
            foreach (var e in graph.Edges)
            {
                xml.WriteStartElement("edge");
                xml.WriteAttributeString("source", e.From);
                xml.WriteAttributeString("target", e.To);
                WriteData(xml, "relation", JsonNames.Of(e.Kind));
                WriteData(xml, "since", e.Since.ToString("O"));
                WriteData(xml, "evidence", $"{e.EvidenceStream}@{e.EvidenceVersion}");
                xml.WriteEndElement();
            }
            xml.WriteEndElement();
            xml.WriteEndElement();
        }
        return text.ToString();
    }

    private static void WriteKey(XmlWriter xml, string name, string target)
    {
        xml.WriteStartElement("key");
        xml.WriteAttributeString("id", $"{target}-{name}");
        xml.WriteAttributeString("for", target);
        xml.WriteAttributeString("attr.name", name);
        xml.WriteAttributeString("attr.type", "string");
        xml.WriteEndElement();
    }

    private static void WriteData(XmlWriter xml, string key, string value)
    {
        xml.WriteStartElement("data");
        var target = key is "relation" or "since" or "evidence" ? "edge" : "node";
        xml.WriteAttributeString("key", $"{target}-{key}");
        xml.WriteString(value);
        xml.WriteEndElement();
    }
}
