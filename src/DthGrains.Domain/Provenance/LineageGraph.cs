namespace DthGrains.Domain.Provenance;

/// <summary>One ledger event a lineage rests on: where it is, what it is, who recorded it, and its hash.</summary>
public sealed record LineageEvent(string Stream, long Version, long Sequence, string EventType, DateTimeOffset RecordedAt,
    string Actor, string? ActorInstitution, string[] ActorRoles, string? Purpose, string? Hash);

/// <summary>A lineage graph with the events its edges were read from (in ledger order).</summary>
public sealed record Lineage(LineageGraph Graph, IReadOnlyList<LineageEvent> Evidence);

/// <summary>
/// Where a walk finds nodes and edges: the facts in memory, or the lineage store in PostgreSQL. Asked one level of the
/// walk at a time (every id at that level in one call), so a store answers a walk in a few queries, not one per node.
/// Edges come in the order they were first stated.
/// </summary>
public interface ILineageIndex
{
    /// <summary>The nodes known among <paramref name="ids"/>; the others are left out.</summary>
    ValueTask<IReadOnlyDictionary<string, LineageNode>> NodesAsync(IReadOnlyCollection<string> ids, CancellationToken ct = default);

    /// <summary>The edges from each of <paramref name="ids"/>, by <see cref="LineageEdge.From"/>.</summary>
    ValueTask<ILookup<string, LineageEdge>> OutgoingAsync(IReadOnlyCollection<string> ids, CancellationToken ct = default);

    /// <summary>The edges to each of <paramref name="ids"/>, by <see cref="LineageEdge.To"/>.</summary>
    ValueTask<ILookup<string, LineageEdge>> IncomingAsync(IReadOnlyCollection<string> ids, CancellationToken ct = default);
}

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

    /// <summary>The platform's own agent (<see cref="Contracts.Platform.Actor.System"/>): one for the whole federation.</summary>
    public static readonly string PlatformAgent = $"person:{Contracts.Platform.Actor.System().Subject}";

    /// <summary>
    /// Whether a walk may reach a node through <paramref name="edge"/>. The platform's agent acts for every institution's
    /// silo (seeding, releases, reminders), so its delegations say nothing about any one activity: a walk does not reach
    /// organisations through them (the lineage of a run on TUM's model, using no data, named Charité and Inria). They
    /// still show between nodes reached otherwise.
    /// </summary>
    public static bool Reaches(LineageEdge edge) => !(edge.Relation == ProvRelation.ActedOnBehalfOf && edge.From == PlatformAgent);

    /// <summary>Null when <paramref name="root"/> is not a node of <paramref name="facts"/> (facts in memory answer at once).</summary>
    public static LineageGraph? Of(LineageFacts facts, string root, int depth, int maxNodes = MaxNodes)
    {
        var walk = OfAsync(facts, root, depth, maxNodes);
        if (!walk.IsCompleted) throw new InvalidOperationException("A walk of facts in memory completes at once.");
#pragma warning disable VSTHRD002 // Completed: nothing is waited on.
        return walk.Result;
#pragma warning restore VSTHRD002
    }

    /// <summary>Null when <paramref name="root"/> is not a node of <paramref name="index"/>.</summary>
    public static async ValueTask<LineageGraph?> OfAsync(ILineageIndex index, string root, int depth, int maxNodes = MaxNodes, CancellationToken ct = default)
    {
        if (!(await index.NodesAsync([root], ct)).ContainsKey(root)) return null;
        // Each id's edges are asked for once per walk, whichever step needs them first.
        var outgoingOf = new Dictionary<string, LineageEdge[]>(StringComparer.Ordinal);
        var incomingOf = new Dictionary<string, LineageEdge[]>(StringComparer.Ordinal);
        async ValueTask<Func<string, LineageEdge[]>> Load(Dictionary<string, LineageEdge[]> known,
            Func<IReadOnlyCollection<string>, CancellationToken, ValueTask<ILookup<string, LineageEdge>>> ask, IEnumerable<string> ids)
        {
            var missing = ids.Where(id => !known.ContainsKey(id)).Distinct(StringComparer.Ordinal).ToList();
            if (missing.Count > 0)
            {
                var found = await ask(missing, ct);
                foreach (var id in missing) known[id] = [.. found[id]];
            }
            return id => known[id];
        }
        ValueTask<Func<string, LineageEdge[]>> Outgoing(IEnumerable<string> ids) => Load(outgoingOf, index.OutgoingAsync, ids);
        ValueTask<Func<string, LineageEdge[]>> Incoming(IEnumerable<string> ids) => Load(incomingOf, index.IncomingAsync, ids);

        var nodes = new HashSet<string>(StringComparer.Ordinal) { root };
        // By ends and relation: an edge read twice from a store (once each way) is two instances of one edge.
        var edges = new HashSet<LineageEdge>(EdgeKey.Instance);
        var truncated = false;

        async ValueTask Walk(Func<IEnumerable<string>, ValueTask<Func<string, LineageEdge[]>>> load, Func<LineageEdge, bool> follows, Func<LineageEdge, string> across)
        {
            var frontier = new List<string> { root };
            for (var level = 0; level < depth && frontier.Count > 0; level++)
            {
                var next = await load(frontier);
                var following = new List<string>();
                foreach (var id in frontier)
                foreach (var edge in next(id).Where(follows))
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

        await Walk(Outgoing, Reaches, e => e.To);                                                    // what it rests on
        await Walk(Incoming, e => !ProvRelation.IsResponsibility(e.Relation), e => e.From);          // what rests on it
        // Each node shown also shows its own direct dependencies, one hop (a decision reached downstream still shows
        // the policy and dataset versions it used, a grant its invalidation), and who acted (an agent is reached from
        // its activity, never the reverse; a person with the organisation they acted for).
        var shown = nodes.ToArray();
        var outgoing = await Outgoing(shown);
        foreach (var id in shown)
        foreach (var edge in outgoing(id).Where(Reaches))
        {
            if (!nodes.Contains(edge.To))
            {
                if (nodes.Count >= maxNodes) { truncated = true; continue; }
                nodes.Add(edge.To);
            }
            edges.Add(edge);
        }
        var people = nodes.Where(n => n.StartsWith("person:", StringComparison.Ordinal)).ToArray();
        outgoing = await Outgoing(people);
        foreach (var id in people)
        foreach (var onBehalf in outgoing(id).Where(e => e.Relation == ProvRelation.ActedOnBehalfOf && Reaches(e))) { nodes.Add(onBehalf.To); edges.Add(onBehalf); }
        // Edges between nodes already shown complete the picture (a decision and the grant it issued are both there).
        outgoing = await Outgoing(nodes);
        foreach (var id in nodes)
        foreach (var edge in outgoing(id).Where(e => nodes.Contains(e.To))) edges.Add(edge);

        var known = await index.NodesAsync(nodes, ct);
        return new LineageGraph(root, depth,
            nodes.Select(id => known.TryGetValue(id, out var n) ? n : new LineageNode(id, ProvKind.Entity, "unknown", id, Defined: false)).OrderBy(n => n.Kind).ThenBy(n => n.Id, StringComparer.Ordinal).ToList(),
            edges.OrderBy(e => e.Order).ToList(), truncated);
    }
}

/// <summary>One way the lineage store differs from the lineage read again from the ledger.</summary>
/// <param name="Kind"><c>node-missing</c>, <c>node-differs</c>, <c>node-unexplained</c> (in the store, stated by no event),
/// <c>edge-missing</c>, <c>edge-differs</c> (its attributes) or <c>edge-unexplained</c>.</param>
/// <param name="What">The node's id, or the edge as <c>from relation to</c>.</param>
public sealed record LineageDifference(string Kind, string What);

/// <summary>
/// The lineage store checked against the ledger: every fact read again from the events up to the store's position
/// and compared with what the store holds.
/// </summary>
/// <param name="UpToSequence">The store's position: every event up to this global sequence (but the gaps then open) was read again.</param>
/// <param name="Differences">How many differences there are in all; <paramref name="First"/> lists the first of them.</param>
public sealed record LineageVerification(bool Ok, long UpToSequence, long EventsRead, long Nodes, long Edges, long Differences,
    IReadOnlyList<LineageDifference> First, DateTimeOffset VerifiedAt);
