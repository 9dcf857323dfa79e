using DthGrains.Contracts.Ecosystem;
using DthGrains.Domain.Ecosystem;
using DthGrains.Domain.Federation;
using DthGrains.Grains.Platform;
using Marten;

namespace DthGrains.Grains.Ecosystem;

/// <summary>
/// Projects ecosystem and federation events into the map's nodes and edges, inline, so the graph never
/// shows an edge without the event that is its evidence.
/// </summary>
public sealed class EcosystemGraphProjection : IInlineProjection
{
    public async Task ProjectAsync(IDocumentSession session, IReadOnlyList<PendingEvent> events, CancellationToken ct)
    {
        // Documents touched earlier in this batch: a staged Store is not visible to LoadAsync.
        var staged = new Dictionary<string, EcosystemNodeDocument>();

        async Task<EcosystemNodeDocument> Node(string id, PendingEvent e)
        {
            if (!staged.TryGetValue(id, out var doc))
                doc = await session.LoadAsync<EcosystemNodeDocument>(id, ct) ?? new EcosystemNodeDocument { Id = id };
            doc.Version = e.Version;
            doc.UpdatedAt = e.Envelope.RecordedAt;
            staged[id] = doc;
            return doc;
        }

        foreach (var e in events)
        {
            switch (e.Data)
            {
                case OrganisationRegistered r:
                    Registered(await Node(NodeId(NodeKind.Organisation, r.Id), e), NodeKind.Organisation, r.Id, r.Details.Name, r.RegisteredAt).Organisation = r.Details;
                    break;
                case OrganisationUpdated u:
                    var org = await Node(NodeId(NodeKind.Organisation, u.Id), e);
                    org.Organisation = u.Details;
                    org.Name = u.Details.Name;
                    break;
                case PersonRegistered r:
                    Registered(await Node(NodeId(NodeKind.Person, r.Id), e), NodeKind.Person, r.Id, r.Details.Name, r.RegisteredAt).Person = r.Details;
                    break;
                case PersonUpdated u:
                    var person = await Node(NodeId(NodeKind.Person, u.Id), e);
                    person.Person = u.Details;
                    person.Name = u.Details.Name;
                    break;
                case InitiativeRegistered r:
                    Registered(await Node(NodeId(NodeKind.Initiative, r.Id), e), NodeKind.Initiative, r.Id, r.Details.Name, r.RegisteredAt).Initiative = r.Details;
                    break;
                case InitiativeUpdated u:
                    var initiative = await Node(NodeId(NodeKind.Initiative, u.Id), e);
                    initiative.Initiative = u.Details;
                    initiative.Name = u.Details.Name;
                    break;
                case RelationAdded a:
                    await Node(a.From.ToString(), e);
                    session.Store(new EcosystemEdgeDocument
                    {
                        Id = EcosystemEdgeDocument.IdFor(a.From.ToString(), a.Kind, a.To.ToString()),
                        From = a.From.ToString(), Kind = a.Kind, To = a.To.ToString(),
                        EvidenceStream = e.StreamKey, EvidenceVersion = e.Version, Since = a.AddedAt,
                    });
                    break;
                case RelationRemoved r:
                    await Node(r.From.ToString(), e);
                    session.Delete<EcosystemEdgeDocument>(EcosystemEdgeDocument.IdFor(r.From.ToString(), r.Kind, r.To.ToString()));
                    break;
                case SiloJoined j:
                    var silo = Registered(await Node(NodeId(NodeKind.Silo, j.SiloId), e), NodeKind.Silo, j.SiloId, $"silo {j.Address} ({j.Role})", j.JoinedAt);
                    silo.Attributes = new() { ["address"] = j.Address, ["role"] = j.Role, ["institution"] = j.Institution, ["joinedAt"] = j.JoinedAt.ToString("O") };
                    var from = NodeId(NodeKind.Organisation, j.Institution);
                    session.Store(new EcosystemEdgeDocument
                    {
                        Id = EcosystemEdgeDocument.IdFor(from, RelationKind.HostsSilo, silo.Id),
                        From = from, Kind = RelationKind.HostsSilo, To = silo.Id,
                        EvidenceStream = e.StreamKey, EvidenceVersion = e.Version, Since = j.JoinedAt,
                    });
                    break;
                case SiloLeft l:
                    var siloId = NodeId(NodeKind.Silo, l.SiloId);
                    staged.Remove(siloId);
                    session.Delete<EcosystemNodeDocument>(siloId);
                    session.Delete<EcosystemEdgeDocument>(EcosystemEdgeDocument.IdFor(NodeId(NodeKind.Organisation, l.Institution), RelationKind.HostsSilo, siloId));
                    continue;
            }
        }
        foreach (var doc in staged.Values) session.Store(doc);
    }

    public static string NodeId(NodeKind kind, string id) => new NodeRef(kind, id).ToString();

    private static EcosystemNodeDocument Registered(EcosystemNodeDocument doc, NodeKind kind, string entityId, string name, DateTimeOffset at)
    {
        doc.Kind = kind;
        doc.EntityId = entityId;
        doc.Name = name;
        doc.RegisteredAt = at;
        return doc;
    }
}
