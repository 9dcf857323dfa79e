namespace DthGrains.Domain.Provenance;

/// <summary>One ledger event a lineage rests on: where it is, what it is, who recorded it, and its hash.</summary>
public sealed record LineageEvent(string Stream, long Version, long Sequence, string EventType, DateTimeOffset RecordedAt,
    string Actor, string? ActorInstitution, string[] ActorRoles, string? Purpose, string? Hash);

/// <summary>A lineage graph with the events its edges were read from (in ledger order).</summary>
public sealed record Lineage(LineageGraph Graph, IReadOnlyList<LineageEvent> Evidence);

/// <summary>
/// The lineage of one node: everything it rests on (following edges forward: what it used, what generated it, who
/// acted) and everything that rests on it (following edges backward: what used it), up to a depth, plus the agents
/// responsible for every activity shown.
/// </summary>
/// <param name="Truncated">true when the node cap cut the walk short (ask for a smaller depth or a more specific root).</param>
public sealed record LineageGraph(string Root, int Depth, IReadOnlyList<LineageNode> Nodes, IReadOnlyList<LineageEdge> Edges, bool Truncated)
{
    public const int MaxDepth = 12;
    public const int MaxNodes = 2000;

    /// <summary>Null when <paramref name="root"/> is not a node of <paramref name="facts"/>.</summary>
    public static LineageGraph? Of(LineageFacts facts, string root, int depth, int maxNodes = MaxNodes)
    {
        if (!facts.Nodes.ContainsKey(root)) return null;
        var outgoing = facts.Outgoing;
        var incoming = facts.Incoming;
        var nodes = new HashSet<string>(StringComparer.Ordinal) { root };
        var edges = new HashSet<LineageEdge>();
        var truncated = false;

        void Walk(Func<string, IEnumerable<LineageEdge>> next, Func<LineageEdge, string> across)
        {
            var frontier = new List<string> { root };
            for (var level = 0; level < depth && frontier.Count > 0; level++)
            {
                var following = new List<string>();
                foreach (var id in frontier)
                foreach (var edge in next(id))
                {
                    var other = across(edge);
                    if (!nodes.Contains(other))
                    {
                        if (nodes.Count >= maxNodes) { truncated = true; continue; }
                        nodes.Add(other);
                        following.Add(other);
                    }
                    edges.Add(edge);
                }
                frontier = following;
            }
        }

        Walk(outgoing, e => e.To);                                                // what it rests on
        Walk(id => incoming(id).Where(e => !ProvRelation.IsResponsibility(e.Relation)), e => e.From); // what rests on it
        // Each node shown also shows its own direct dependencies, one hop (a decision reached downstream still shows
        // the policy and dataset versions it used, a grant its invalidation), and who acted (an agent is reached from
        // its activity, never the reverse; a person with the organisation they acted for).
        foreach (var id in nodes.ToArray())
        foreach (var edge in outgoing(id))
        {
            if (!nodes.Contains(edge.To))
            {
                if (nodes.Count >= maxNodes) { truncated = true; continue; }
                nodes.Add(edge.To);
            }
            edges.Add(edge);
        }
        foreach (var id in nodes.Where(n => n.StartsWith("person:", StringComparison.Ordinal)).ToArray())
        foreach (var onBehalf in outgoing(id).Where(e => e.Relation == ProvRelation.ActedOnBehalfOf)) { nodes.Add(onBehalf.To); edges.Add(onBehalf); }
        // Edges between nodes already shown complete the picture (a decision and the grant it issued are both there).
        foreach (var id in nodes)
        foreach (var edge in outgoing(id).Where(e => nodes.Contains(e.To))) edges.Add(edge);

        return new LineageGraph(root, depth,
            nodes.Select(id => facts.Nodes.TryGetValue(id, out var n) ? n : new LineageNode(id, ProvKind.Entity, "unknown", id, Defined: false)).OrderBy(n => n.Kind).ThenBy(n => n.Id, StringComparer.Ordinal).ToList(),
            edges.OrderBy(facts.OrderOf).ToList(), truncated);
    }
}
