using DthGrains.Domain.Catalogue;
using DthGrains.Domain.Governance;

namespace DthGrains.Domain.Provenance;

/// <summary>
/// What each event says about lineage, in W3C PROV terms. Pure: a stream's events, in version order, go in; nodes
/// and edges come out, each edge naming the event it was read from. A feature whose events take part in lineage
/// adds its rules here (one case per event type), so the lineage is always derived from the ledger and nothing else.
/// </summary>
public static class LineageRules
{
    /// <summary>The event types these rules read; the lineage loader reads only these from the store.</summary>
    public static readonly IReadOnlySet<Type> EventTypes = new HashSet<Type>
    {
        typeof(ApplicationSubmitted), typeof(ApplicationReturned), typeof(DecisionRecorded), typeof(AccessGranted),
        typeof(AccessRevoked), typeof(AccessExpired), typeof(ApplicationClosed),
        typeof(ResourceDrafted), typeof(ResourceVersionReleased), typeof(CredibilityRecorded), typeof(ResourceWithdrawn), typeof(ResourceDeprecated),
        typeof(DataAccessed), typeof(AccessDenied),
    };

    /// <summary>Adds what one stream's events state to <paramref name="facts"/>.</summary>
    public static void Extract(LineageFacts facts, IEnumerable<(LineageSource Source, object Event)> stream)
    {
        var memory = new StreamMemory();
        foreach (var (source, e) in stream) Apply(facts, memory, source, e);
    }

    /// <summary>What an earlier event of the same stream named, for later ones (the decision that issued a grant, the previous release).</summary>
    private sealed class StreamMemory
    {
        public string? LastDecision;
        public string? LastRelease;
        public string Kind = "resource";
    }

    private static void Apply(LineageFacts f, StreamMemory m, LineageSource s, object e)
    {
        switch (e)
        {
            case ApplicationSubmitted a:
            {
                var application = f.Node(new LineageNode(s.Stream, ProvKind.Entity, "access-application", a.Application.Title, a.SubmittedAt,
                    Attrs(("purpose", Kebab(a.Application.Purpose)), ("actions", string.Join(",", a.Application.Actions.Select(Kebab))))));
                var submission = f.Node(new LineageNode($"{s.Stream}/submission/{s.Version}", ProvKind.Activity, "submission", $"application submitted (v{s.Version})", a.SubmittedAt));
                var applicant = f.Person(a.Applicant, a.ApplicantInstitution, s);
                f.Edge(application, ProvRelation.WasGeneratedBy, submission, s);
                f.Edge(application, ProvRelation.WasAttributedTo, applicant, s);
                f.Edge(submission, ProvRelation.WasAssociatedWith, applicant, s);
                foreach (var (dataset, version) in a.DatasetVersions) f.Edge(submission, ProvRelation.Used, DatasetVersion(f, dataset, version), s);
                break;
            }
            case ApplicationReturned r:
            {
                var activity = f.Node(new LineageNode($"{s.Stream}/return/{s.Version}", ProvKind.Activity, "return", $"returned for changes: {r.Reason}", r.ReturnedAt));
                f.Edge(activity, ProvRelation.Used, s.Stream, s);
                f.Edge(activity, ProvRelation.WasAssociatedWith, f.Person(r.By, r.Institution, s), s);
                break;
            }
            case DecisionRecorded d:
            {
                var decision = f.Node(new LineageNode($"{s.Stream}/decision/{d.Institution}/{s.Version}", ProvKind.Activity, d.Approve ? "approval" : "refusal",
                    $"{d.Institution} {(d.Approve ? "approved" : "refused")}: {d.Reason}", d.DecidedAt,
                    Attrs(("conditions", string.Join("; ", d.Conditions)))));
                f.Edge(decision, ProvRelation.Used, s.Stream, s,
                    d.Context is null ? null : Attrs(("applicationVersion", d.Context.ApplicationVersion.ToString(System.Globalization.CultureInfo.InvariantCulture))));
                f.Edge(decision, ProvRelation.WasAssociatedWith, f.Person(d.By, d.Institution, s), s);
                if (d.Context is { } context)
                {
                    foreach (var seen in context.Datasets.Where(x => x.PinnedVersion is not null))
                        f.Edge(decision, ProvRelation.Used, DatasetVersion(f, seen.Id, seen.PinnedVersion!), s,
                            Attrs(("metadataVersion", seen.MetadataVersion.ToString(System.Globalization.CultureInfo.InvariantCulture)), ("status", seen.Status)));
                    var policy = f.Node(new LineageNode($"policy:{context.Policy.Id}@{context.Policy.Version}", ProvKind.Entity, "access-policy",
                        $"{context.Policy.Id} {context.Policy.Version}", Attributes: Attrs(("digest", context.Policy.Digest))));
                    f.Edge(decision, ProvRelation.Used, policy, s);
                }
                m.LastDecision = decision;
                break;
            }
            case AccessGranted g:
            {
                var grant = f.Node(new LineageNode($"grant:{g.GrantId}", ProvKind.Entity, "grant", $"grant {g.GrantId} ({Kebab(g.Purpose)})", g.ValidFrom,
                    Attrs(("validFrom", g.ValidFrom.ToString("O")), ("validUntil", g.ValidUntil.ToString("O")), ("actions", string.Join(",", g.Actions.Select(Kebab))),
                        ("principals", string.Join(",", g.Principals)), ("conditions", string.Join("; ", g.Conditions)))));
                if (m.LastDecision is not null) f.Edge(grant, ProvRelation.WasGeneratedBy, m.LastDecision, s);
                f.Edge(grant, ProvRelation.WasDerivedFrom, s.Stream, s);
                foreach (var (dataset, version) in g.DatasetVersions) f.Edge(grant, ProvRelation.WasInfluencedBy, DatasetVersion(f, dataset, version), s);
                break;
            }
            case AccessRevoked r:
            {
                var activity = f.Node(new LineageNode($"grant:{r.GrantId}/revocation", ProvKind.Activity, "revocation", $"revoked: {r.Reason}", r.RevokedAt));
                f.Edge(activity, ProvRelation.WasAssociatedWith, f.Person(r.By, r.Institution, s), s);
                f.Edge($"grant:{r.GrantId}", ProvRelation.WasInvalidatedBy, activity, s);
                break;
            }
            case AccessExpired x:
            {
                var activity = f.Node(new LineageNode($"grant:{x.GrantId}/expiry", ProvKind.Activity, "expiry", "expired at the end of its validity", x.ExpiredAt));
                f.Edge($"grant:{x.GrantId}", ProvRelation.WasInvalidatedBy, activity, s);
                break;
            }
            case ApplicationClosed c:
            {
                var activity = f.Node(new LineageNode($"{s.Stream}/closure", ProvKind.Activity, "closure", $"closed: {c.Reason}", c.ClosedAt));
                f.Edge(activity, ProvRelation.WasAssociatedWith, f.Person(c.By, s.ActorInstitution, s), s);
                f.Edge(s.Stream, ProvRelation.WasInvalidatedBy, activity, s);
                break;
            }
            case ResourceDrafted r:
            {
                m.Kind = Kebab(r.Kind);
                var resource = f.Node(new LineageNode(s.Stream, ProvKind.Entity, m.Kind, r.Metadata.Title, r.DraftedAt));
                f.Edge(resource, ProvRelation.WasAttributedTo, f.Organisation(r.Publisher), s);
                break;
            }
            case ResourceVersionReleased r:
            {
                var version = f.Node(new LineageNode($"{s.Stream}@{r.Version}", ProvKind.Entity, $"{m.Kind}-version", $"{r.Metadata.Title} {r.Version}", r.ReleasedAt,
                    Attrs(("checksum", r.Checksum), ("conformsTo", string.Join(",", r.ConformsTo)))));
                var release = f.Node(new LineageNode($"{s.Stream}@{r.Version}/release", ProvKind.Activity, "release", $"released {r.Version}", r.ReleasedAt));
                f.Edge(version, ProvRelation.WasGeneratedBy, release, s);
                f.Edge(version, ProvRelation.SpecializationOf, s.Stream, s);
                f.Edge(release, ProvRelation.WasAssociatedWith, f.Person(s.Actor, s.ActorInstitution, s), s);
                if (m.LastRelease is not null) f.Edge(version, ProvRelation.WasRevisionOf, m.LastRelease, s);
                m.LastRelease = version;
                break;
            }
            case CredibilityRecorded c:
            {
                var record = f.Node(new LineageNode($"{s.Stream}@{c.Version}/credibility/{s.Version}", ProvKind.Entity, "credibility-record",
                    $"V&V 40 credibility of {c.Version}", c.RecordedAt));
                f.Edge(record, ProvRelation.WasAttributedTo, f.Person(s.Actor, s.ActorInstitution, s), s);
                f.Edge(record, ProvRelation.WasDerivedFrom, $"{s.Stream}@{c.Version}", s);
                break;
            }
            case ResourceWithdrawn w:
                f.Edge(s.Stream, ProvRelation.WasInvalidatedBy,
                    f.Node(new LineageNode($"{s.Stream}/withdrawal", ProvKind.Activity, "withdrawal", $"withdrawn: {w.Reason}", w.WithdrawnAt)), s);
                break;
            case ResourceDeprecated d:
                f.Node(new LineageNode($"{s.Stream}/deprecation/{s.Version}", ProvKind.Activity, "deprecation", $"deprecated: {d.Reason}", d.DeprecatedAt));
                f.Edge($"{s.Stream}/deprecation/{s.Version}", ProvRelation.Used, s.Stream, s);
                break;
            case DataAccessed a:
            {
                var read = f.Node(new LineageNode($"{s.Stream}/{s.Version}", ProvKind.Activity, "data-read",
                    $"{a.Actor} read {a.DatasetId} {a.Version} ({a.Subjects} subjects)", a.AccessedAt, Attrs(("purpose", a.Purpose ?? ""))));
                f.Edge(read, ProvRelation.Used, DatasetVersion(f, a.DatasetId, a.Version), s);
                if (a.GrantId is not null) f.Edge(read, ProvRelation.Used, $"grant:{a.GrantId}", s);
                f.Edge(read, ProvRelation.WasAssociatedWith, f.Person(a.Actor, a.ActorInstitution, s), s);
                break;
            }
            case AccessDenied d:
            {
                var refused = f.Node(new LineageNode($"{s.Stream}/{s.Version}", ProvKind.Activity, "data-read-refused",
                    $"{d.Actor} was refused {d.DatasetId} {d.Version}: {d.Reason}", d.DeniedAt, Attrs(("purpose", d.Purpose ?? ""))));
                f.Edge(refused, ProvRelation.WasInfluencedBy, DatasetVersion(f, d.DatasetId, d.Version), s);
                f.Edge(refused, ProvRelation.WasAssociatedWith, f.Person(d.Actor, d.ActorInstitution, s), s);
                break;
            }
        }
    }

    /// <summary>A dataset version as referred to by other streams (its release defines it).</summary>
    private static string DatasetVersion(LineageFacts f, string dataset, string version) =>
        f.Node(new LineageNode($"resource:{dataset}@{version}", ProvKind.Entity, "dataset-version", $"{dataset} {version}", Defined: false));

    private static IReadOnlyDictionary<string, string> Attrs(params (string Key, string Value)[] pairs) =>
        pairs.Where(p => !string.IsNullOrEmpty(p.Value)).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);

    private static string Kebab<TEnum>(TEnum value) where TEnum : struct, Enum => AccessPolicy.Kebab(value);
}
