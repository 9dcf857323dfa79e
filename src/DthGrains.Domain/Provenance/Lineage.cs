namespace DthGrains.Domain.Provenance;

/// <summary>The three kinds of thing in W3C PROV.</summary>
public enum ProvKind
{
    Entity,
    Activity,
    Agent,
}

/// <summary>
/// A node of the lineage graph. Ids are stable and readable: a stream key for an aggregate
/// (<c>access-request:r1</c>), <c>@version</c> for a released version (<c>resource:hovorka-2004@1.0.0</c>), a path
/// below it for an activity (<c>access-request:r1/decision/charite/4</c>), <c>person:</c> and <c>organisation:</c> for agents.
/// </summary>
/// <param name="Defined">true when the event that created the thing made the node; false when the node is only referred to.</param>
public sealed record LineageNode(string Id, ProvKind Kind, string Type, string Label, DateTimeOffset? At = null,
    IReadOnlyDictionary<string, string>? Attributes = null, bool Defined = true);

/// <summary>
/// A PROV relation, pointing from the dependent to what it depends on (an activity <c>used</c> an entity, an entity
/// <c>wasGeneratedBy</c> an activity), with the event it was read from, so every edge can be checked in the ledger.
/// </summary>
public sealed record LineageEdge(string From, string Relation, string To, DateTimeOffset? At, string Stream, long Version,
    IReadOnlyDictionary<string, string>? Attributes = null)
{
    /// <summary>
    /// Where the edge stands among the edges of its facts or store (the order they were first stated in, in ledger
    /// order); it takes part in the record's equality, which only ever compares edges of the same facts.
    /// </summary>
    public long Order { get; init; }
}

/// <summary>The PROV relation names used by the lineage (W3C PROV-DM).</summary>
public static class ProvRelation
{
    public const string Used = "used";
    public const string WasGeneratedBy = "wasGeneratedBy";
    public const string WasAssociatedWith = "wasAssociatedWith";
    public const string WasAttributedTo = "wasAttributedTo";
    public const string WasDerivedFrom = "wasDerivedFrom";
    public const string WasRevisionOf = "wasRevisionOf";
    public const string WasInformedBy = "wasInformedBy";
    public const string ActedOnBehalfOf = "actedOnBehalfOf";
    public const string WasInvalidatedBy = "wasInvalidatedBy";
    public const string WasInfluencedBy = "wasInfluencedBy";
    public const string SpecializationOf = "specializationOf";

    /// <summary>Relations that say who acted: kept for every activity in a lineage, whichever way it was reached.</summary>
    public static bool IsResponsibility(string relation) => relation is WasAssociatedWith or ActedOnBehalfOf or WasAttributedTo;
}

/// <summary>Where an event sits in the ledger and who recorded it (from its envelope).</summary>
public sealed record LineageSource(string Stream, long Version, long Sequence, DateTimeOffset At, string Actor, string? ActorInstitution);

/// <summary>
/// The nodes and edges that a run of events states; built by <see cref="LineageRules"/>. In memory: the lineage store
/// collects one catch-up's facts in one of these before it writes them, and tests walk them directly.
/// </summary>
public sealed class LineageFacts : ILineageIndex
{
    private readonly Dictionary<string, LineageNode> _nodes = new(StringComparer.Ordinal);
    private readonly List<LineageEdge> _edges = [];
    // An edge is stated once, by the first event that states it: keyed by its ends and relation.
    private readonly HashSet<LineageEdge> _edgeKeys = new(EdgeKey.Instance);
    // Kept as edges are added, so a walk visits only the edges at hand, not all of them.
    private readonly Dictionary<string, List<LineageEdge>> _outgoing = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<LineageEdge>> _incoming = new(StringComparer.Ordinal);
    // Most strings of a run of events repeat (a dataset version's id in every read of it, a person, a stream, a
    // purpose): one instance of each, and one map per distinct set of attributes, for a catch-up's chunk or a test's
    // facts. (When each silo kept the whole ledger's facts in memory, this took them from 2,098 to 1,373 bytes a read.)
    private readonly HashSet<string> _strings = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IReadOnlyDictionary<string, string>> _attributeSets = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, LineageNode> Nodes => _nodes;

    /// <summary>In the order they were first stated.</summary>
    public IReadOnlyList<LineageEdge> Edges => _edges;

    public IReadOnlyList<LineageEdge> Outgoing(string id) => _outgoing.TryGetValue(id, out var edges) ? edges : [];

    public IReadOnlyList<LineageEdge> Incoming(string id) => _incoming.TryGetValue(id, out var edges) ? edges : [];

    public ValueTask<IReadOnlyDictionary<string, LineageNode>> NodesAsync(IReadOnlyCollection<string> ids, CancellationToken ct = default) =>
        ValueTask.FromResult<IReadOnlyDictionary<string, LineageNode>>(
            ids.Where(_nodes.ContainsKey).Distinct(StringComparer.Ordinal).ToDictionary(id => id, id => _nodes[id], StringComparer.Ordinal));

    public ValueTask<ILookup<string, LineageEdge>> OutgoingAsync(IReadOnlyCollection<string> ids, CancellationToken ct = default) =>
        ValueTask.FromResult(ids.Distinct(StringComparer.Ordinal).SelectMany(Outgoing).ToLookup(e => e.From, StringComparer.Ordinal));

    public ValueTask<ILookup<string, LineageEdge>> IncomingAsync(IReadOnlyCollection<string> ids, CancellationToken ct = default) =>
        ValueTask.FromResult(ids.Distinct(StringComparer.Ordinal).SelectMany(Incoming).ToLookup(e => e.To, StringComparer.Ordinal));

    /// <summary>Adds a node; a defining mention replaces a mere reference (which only fills in until the definition is seen).</summary>
    public string Node(LineageNode node)
    {
        if (_nodes.TryGetValue(node.Id, out var known) && !node.Defined) return known.Id;
        var id = Intern(node.Id);
        _nodes[id] = node with { Id = id, Type = Intern(node.Type), Attributes = Shared(node.Attributes) };
        return id;
    }

    /// <summary>The one instance of this string in these facts.</summary>
    private string Intern(string value)
    {
        if (_strings.TryGetValue(value, out var known)) return known;
        _strings.Add(value);
        return value;
    }

    private IReadOnlyDictionary<string, string>? Shared(IReadOnlyDictionary<string, string>? attributes)
    {
        if (attributes is null) return null;
        var key = string.Join('\u0001', attributes.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}\u0002{p.Value}"));
        if (_attributeSets.TryGetValue(key, out var known)) return known;
        _attributeSets[key] = attributes;
        return attributes;
    }

    /// <summary>Adds an edge once (the first event that states it is its source).</summary>
    public void Edge(string from, string relation, string to, LineageSource source, IReadOnlyDictionary<string, string>? attributes = null)
    {
        var edge = new LineageEdge(from, relation, to, source.At, source.Stream, source.Version) { Order = _edges.Count };
        if (_edgeKeys.Contains(edge)) return;
        edge = edge with { From = Intern(from), Relation = Intern(relation), To = Intern(to), Stream = Intern(source.Stream), Attributes = Shared(attributes) };
        _edgeKeys.Add(edge);
        _edges.Add(edge);
        Add(_outgoing, edge.From, edge);
        Add(_incoming, edge.To, edge);

        static void Add(Dictionary<string, List<LineageEdge>> index, string id, LineageEdge edge)
        {
            if (!index.TryGetValue(id, out var list)) index[id] = list = [];
            list.Add(edge);
        }
    }

    public string Person(string subject, string? institution, LineageSource source)
    {
        var id = Node(new LineageNode($"person:{subject}", ProvKind.Agent, "person", subject, Defined: false));
        if (!string.IsNullOrEmpty(institution)) Edge(id, ProvRelation.ActedOnBehalfOf, Organisation(institution), source);
        return id;
    }

    public string Organisation(string institution) =>
        Node(new LineageNode($"organisation:{institution}", ProvKind.Agent, "organisation", institution, Defined: false));
}

/// <summary>Edges compared by their ends and relation only.</summary>
internal sealed class EdgeKey : IEqualityComparer<LineageEdge>
{
    public static readonly EdgeKey Instance = new();

    public bool Equals(LineageEdge? x, LineageEdge? y) =>
        ReferenceEquals(x, y) || (x is not null && y is not null && x.From == y.From && x.Relation == y.Relation && x.To == y.To);

    public int GetHashCode(LineageEdge e) => HashCode.Combine(e.From, e.Relation, e.To);
}
