using System.Globalization;
using DthGrains.Domain.Provenance;
using Hl7.Fhir.Model;
using FhirProvenance = Hl7.Fhir.Model.Provenance;

namespace DthGrains.Fhir.Audit;

/// <summary>
/// A lineage as a FHIR R4 collection Bundle: one AuditEvent per ledger event it rests on, shaped after IHE Basic
/// Audit Log Patterns (action, outcome, the requesting agent with role, the ledger as source observer, the entities
/// touched, purpose of use), and one Provenance per generated entity (target, activity, agents with on-behalf-of,
/// used entities as sources, derivations and revisions). Our things are not FHIR resources, so references are
/// logical: an identifier in the DthGrains namespace (<see cref="ProvJson.Namespace"/>).
/// </summary>
public static class FhirLineageBundle
{
    private const string EventTypeSystem = "https://dthgrains.eu/fhir/CodeSystem/event-type";
    private const string ActivitySystem = "https://dthgrains.eu/fhir/CodeSystem/activity-type";
    private const string RoleSystem = "https://dthgrains.eu/fhir/CodeSystem/role";
    private const string PurposeSystem = "https://dthgrains.eu/fhir/CodeSystem/ehds-purpose";
    private const string ActReason = "http://terminology.hl7.org/CodeSystem/v3-ActReason";

    /// <summary>The Bundle as FHIR JSON.</summary>
    public static string Json(Lineage lineage, DateTimeOffset now) => FhirJson.Serialize(Build(lineage, now));

    internal static Bundle Build(Lineage lineage, DateTimeOffset now)
    {
        var graph = lineage.Graph;
        var nodes = graph.Nodes.ToDictionary(n => n.Id, StringComparer.Ordinal);
        // Ids named by what they stand for (the root and its evidence; an event by its place in the ledger; a generation
        // by its edge), so the same lineage exports with the same ids, and an entry can be matched across two exports.
        var bundle = new Bundle
        {
            Id = Synthetic.DeterministicUuid.Urn($"lineage|{graph.Root}|{string.Join(",", lineage.Evidence.Select(e => $"{e.Stream}@{e.Version}"))}")["urn:uuid:".Length..],
            Type = Bundle.BundleType.Collection,
            Timestamp = now,
            Meta = new Meta { Tag = [new Coding(ActivitySystem, "lineage", $"Lineage of {graph.Root}")] },
        };
        foreach (var e in lineage.Evidence)
            bundle.Entry.Add(new Bundle.EntryComponent { FullUrl = Synthetic.DeterministicUuid.Urn($"audit|{e.Stream}|{e.Version}"), Resource = Audit(e, graph, nodes) });
        foreach (var edge in graph.Edges.Where(e => e.Relation == ProvRelation.WasGeneratedBy))
            bundle.Entry.Add(new Bundle.EntryComponent
            {
                FullUrl = Synthetic.DeterministicUuid.Urn($"provenance|{edge.From}|{edge.To}|{edge.Stream}|{edge.Version}"), Resource = ProvenanceOf(edge, graph, nodes),
            });
        return bundle;
    }

    private static AuditEvent Audit(LineageEvent e, LineageGraph graph, Dictionary<string, LineageNode> nodes)
    {
        var (action, interaction) = Action(e.EventType);
        var refused = e.EventType.EndsWith("access_denied", StringComparison.Ordinal) || e.EventType.EndsWith("request_denied", StringComparison.Ordinal);
        var audit = new AuditEvent
        {
            Type = new Coding("http://terminology.hl7.org/CodeSystem/audit-event-type", "rest", "RESTful Operation"),
            Subtype = [new Coding("http://hl7.org/fhir/restful-interaction", interaction), new Coding(EventTypeSystem, e.EventType)],
            Action = action,
            Recorded = e.RecordedAt,
            Outcome = refused ? AuditEvent.AuditEventOutcome.N4 : AuditEvent.AuditEventOutcome.N0,
            OutcomeDesc = refused ? "Refused by the policy decision point." : null,
            Agent =
            [
                new AuditEvent.AgentComponent
                {
                    Type = new CodeableConcept("http://terminology.hl7.org/CodeSystem/v3-ParticipationType", interaction == "read" ? "IRCP" : "AUT"),
                    Role = e.ActorRoles.Select(r => new CodeableConcept(RoleSystem, r)).ToList(),
                    Who = Logical("person", e.Actor, e.Actor),
                    Requestor = true,
                },
            ],
            Source = new AuditEvent.SourceComponent
            {
                Site = e.ActorInstitution,
                Observer = new ResourceReference { Identifier = new Identifier(ProvJson.Namespace + "system", "dthgrains-ledger"), Display = "DthGrains ledger" },
                Type = [new Coding("http://terminology.hl7.org/CodeSystem/security-source-type", "4", "Application Server")],
            },
        };
        if (Purpose(e.Purpose) is { } purpose) audit.PurposeOfEvent = [purpose];
        audit.Entity.Add(new AuditEvent.EntityComponent
        {
            What = Logical("event", $"{e.Stream}/{e.Version}", $"ledger event {e.EventType} at {e.Stream} v{e.Version}"),
            Type = new Coding("http://terminology.hl7.org/CodeSystem/audit-entity-type", "2", "System Object"),
            Role = new Coding("http://terminology.hl7.org/CodeSystem/object-role", "4", "Domain Resource"),
            Description = $"{e.EventType} (sequence {e.Sequence})",
            Detail =
            [
                new AuditEvent.DetailComponent { Type = "sequence", Value = new FhirString(e.Sequence.ToString(CultureInfo.InvariantCulture)) },
                .. e.Hash is null ? Array.Empty<AuditEvent.DetailComponent>() : [new AuditEvent.DetailComponent { Type = "sha256", Value = new FhirString(e.Hash) }],
            ],
        });
        // The things this event says something about (what it used, generated or invalidated), agents excepted.
        var touched = graph.Edges.Where(x => x.Stream == e.Stream && x.Version == e.Version)
            .SelectMany(x => new[] { x.From, x.To }).Distinct(StringComparer.Ordinal)
            .Where(id => nodes.TryGetValue(id, out var n) && n.Kind == ProvKind.Entity);
        foreach (var id in touched)
            audit.Entity.Add(new AuditEvent.EntityComponent
            {
                What = Logical("entity", id, nodes[id].Label),
                Type = new Coding("http://terminology.hl7.org/CodeSystem/audit-entity-type", "2", "System Object"),
                Role = new Coding("http://terminology.hl7.org/CodeSystem/object-role", "4", "Domain Resource"),
                Description = nodes[id].Type,
            });
        return audit;
    }

    private static FhirProvenance ProvenanceOf(LineageEdge generated, LineageGraph graph, Dictionary<string, LineageNode> nodes)
    {
        var entity = nodes[generated.From];
        var activity = nodes.GetValueOrDefault(generated.To);
        var provenance = new FhirProvenance
        {
            Target = [Logical("entity", entity.Id, entity.Label)],
            Recorded = generated.At ?? entity.At ?? DateTimeOffset.UnixEpoch,
            Occurred = generated.At is { } at ? new FhirDateTime(at) : null,
            Activity = new CodeableConcept(ActivitySystem, activity?.Type ?? "activity", activity?.Label),
        };
        foreach (var association in graph.Edges.Where(x => x.From == generated.To && x.Relation == ProvRelation.WasAssociatedWith))
        {
            var agent = new FhirProvenance.AgentComponent
            {
                Type = new CodeableConcept("http://terminology.hl7.org/CodeSystem/provenance-participant-type", "author", "Author"),
                Who = Logical("agent", association.To, nodes.GetValueOrDefault(association.To)?.Label),
            };
            if (graph.Edges.FirstOrDefault(x => x.From == association.To && x.Relation == ProvRelation.ActedOnBehalfOf) is { } onBehalf)
                agent.OnBehalfOf = Logical("agent", onBehalf.To, nodes.GetValueOrDefault(onBehalf.To)?.Label);
            provenance.Agent.Add(agent);
        }
        if (provenance.Agent.Count == 0)
        {
            // Provenance needs an agent: a system activity (an expiry, say) is the platform's own.
            provenance.Agent.Add(new FhirProvenance.AgentComponent
            {
                Type = new CodeableConcept("http://terminology.hl7.org/CodeSystem/provenance-participant-type", "assembler", "Assembler"),
                Who = new ResourceReference { Identifier = new Identifier(ProvJson.Namespace + "system", "dthgrains-ledger"), Display = "DthGrains platform" },
            });
        }
        foreach (var used in graph.Edges.Where(x => x.From == generated.To && x.Relation == ProvRelation.Used))
            provenance.Entity.Add(new FhirProvenance.EntityComponent { Role = FhirProvenance.ProvenanceEntityRole.Source, What = Logical("entity", used.To, nodes.GetValueOrDefault(used.To)?.Label) });
        foreach (var derived in graph.Edges.Where(x => x.From == entity.Id && x.Relation is ProvRelation.WasDerivedFrom or ProvRelation.WasRevisionOf))
            provenance.Entity.Add(new FhirProvenance.EntityComponent
            {
                Role = derived.Relation == ProvRelation.WasRevisionOf ? FhirProvenance.ProvenanceEntityRole.Revision : FhirProvenance.ProvenanceEntityRole.Derivation,
                What = Logical("entity", derived.To, nodes.GetValueOrDefault(derived.To)?.Label),
            });
        return provenance;
    }

    /// <summary>A reference by identifier in our namespace (the thing is not a FHIR resource on this server).</summary>
    private static ResourceReference Logical(string kind, string id, string? display) =>
        new() { Identifier = new Identifier(ProvJson.Namespace + kind, id), Display = display };

    /// <summary>BALP action codes: C create, R read, U update, E execute.</summary>
    private static (AuditEvent.AuditEventAction Action, string Interaction) Action(string eventType) => eventType switch
    {
        _ when eventType.EndsWith("data_accessed", StringComparison.Ordinal) || eventType.EndsWith("access_denied", StringComparison.Ordinal) => (AuditEvent.AuditEventAction.R, "read"),
        _ when eventType.EndsWith("_submitted", StringComparison.Ordinal) || eventType.EndsWith("_drafted", StringComparison.Ordinal)
               || eventType.EndsWith("_released", StringComparison.Ordinal) || eventType.EndsWith("_granted", StringComparison.Ordinal)
               || eventType.EndsWith("_recorded", StringComparison.Ordinal) => (AuditEvent.AuditEventAction.C, "create"),
        _ => (AuditEvent.AuditEventAction.U, "update"),
    };

    /// <summary>The EHDS purpose, with the HL7 v3 ActReason where one says the same thing.</summary>
    private static CodeableConcept? Purpose(string? purpose)
    {
        if (string.IsNullOrEmpty(purpose)) return null;
        var concept = new CodeableConcept(PurposeSystem, purpose);
        var v3 = purpose switch
        {
            "scientific-research" => ("HRESCH", "healthcare research"),
            "public-interest" => ("PUBHLTH", "public health"),
            "personalised-healthcare" => ("TREAT", "treatment"),
            _ => default,
        };
        if (v3.Item1 is not null) concept.Coding.Add(new Coding(ActReason, v3.Item1, v3.Item2));
        return concept;
    }
}
