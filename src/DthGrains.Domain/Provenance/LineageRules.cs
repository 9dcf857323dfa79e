using DthGrains.Simulation.Engine;
using DthGrains.Domain.Catalogue;
using DthGrains.Domain.Governance;
using DthGrains.Domain.Runs;
using DthGrains.Domain.Twins;

namespace DthGrains.Domain.Provenance;

/// <summary>
/// What each event says about lineage, in W3C PROV terms. Pure: a stream's events, in version order, go in; nodes
/// and edges come out, each edge naming the event it was read from. A feature whose events take part in lineage
/// adds its rules here (one case per event type), so the lineage is always derived from the ledger and nothing else.
/// </summary>
public static class LineageRules
{
    /// <summary>
    /// The version of these rules. Raise it with any change to what they state (a node's id or label, an edge): the
    /// lineage store keeps facts stated by one version, and a store of another is emptied and read again from the whole
    /// ledger at its next catch-up, instead of mixing both (which verify-lineage would then report as differences).
    /// 1: until session 16; 2: one engine node for both spellings of the engine, and "1 subject"; 3: a completed run is
    /// associated with the institutions whose silos computed its shards.
    /// </summary>
    public const int Version = 3;

    /// <summary>The event types these rules read; the lineage loader reads only these from the store.</summary>
    public static readonly IReadOnlySet<Type> EventTypes = new HashSet<Type>
    {
        typeof(ApplicationSubmitted), typeof(ApplicationReturned), typeof(DecisionRecorded), typeof(AccessGranted),
        typeof(AccessRevoked), typeof(AccessExpired), typeof(ApplicationClosed),
        typeof(ResourceDrafted), typeof(ResourceVersionReleased), typeof(CredibilityRecorded), typeof(ResourceWithdrawn), typeof(ResourceDeprecated),
        typeof(DataAccessed), typeof(AccessDenied),
        typeof(TwinDesigned), typeof(TwinPatientDataLinked), typeof(TwinCalibrated), typeof(TwinValidated), typeof(TwinScenarioTested),
        typeof(TwinActivated), typeof(TwinRetired), typeof(TwinMarkedStale),
        // Shard completions are left out on purpose: they are parts of the run, large, and add no dependency.
        typeof(RunSubmitted), typeof(CohortSeeded), typeof(RunSuspended), typeof(RunResumed), typeof(RunCancelled), typeof(RunFailed), typeof(RunCompleted),
    };

    /// <summary>
    /// Properties of the events above that these rules never read, so the loader may leave them in the store: a run's
    /// summary and sensitivity indices (up to a megabyte of bands per run).
    /// </summary>
    public static readonly IReadOnlyDictionary<Type, string[]> UnreadProperties = new Dictionary<Type, string[]>
    {
        [typeof(RunCompleted)] = [.. RunCompleted.ResultProperties],
    };

    /// <summary>
    /// Adds what one event states, given what its stream's earlier events left in <paramref name="m"/> (one memory
    /// per stream, fed that stream's events in version order). Streams may interleave: the nodes and edges are those of
    /// each stream read whole.
    /// </summary>
    public static void Apply(LineageFacts f, LineageStreamMemory m, LineageSource s, object e)
    {
        if (s.Stream.StartsWith(TwinEventTypes.StreamPrefix, StringComparison.Ordinal))
        {
            ApplyTwin(f, m, s, e);
            return;
        }
        if (s.Stream.StartsWith(RunEventTypes.StreamPrefix, StringComparison.Ordinal))
        {
            ApplyRun(f, s, e);
            return;
        }
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
                    $"{a.Actor} read {a.DatasetId} {a.Version} ({Subjects(a.Subjects)})", a.AccessedAt, Attrs(("purpose", a.Purpose ?? ""))));
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

    /// <summary>A twin's steps: each an activity that used the model version, the engine, the subject's data and the grant, generating what the twin then rests on.</summary>
    private static void ApplyTwin(LineageFacts f, LineageStreamMemory m, LineageSource s, object e)
    {
        var twin = s.Stream;
        switch (e)
        {
            case TwinDesigned d:
            {
                f.Node(new LineageNode(twin, ProvKind.Entity, "twin", d.Name, d.DesignedAt,
                    Attrs(("questionOfInterest", d.QuestionOfInterest), ("contextOfUse", d.ContextOfUse), ("purpose", d.Purpose))));
                var design = f.Node(new LineageNode($"{twin}/design", ProvKind.Activity, "twin-design", $"designed on {d.ModelId} {d.ModelVersion}", d.DesignedAt));
                f.Edge(twin, ProvRelation.WasGeneratedBy, design, s);
                f.Edge(twin, ProvRelation.WasAttributedTo, f.Person(d.Owner, d.OwnerInstitution, s), s);
                f.Edge(design, ProvRelation.WasAssociatedWith, f.Person(s.Actor, s.ActorInstitution, s), s);
                f.Edge(design, ProvRelation.Used, ModelVersion(f, d.ModelId, d.ModelVersion), s);
                f.Edge(design, ProvRelation.Used, Engine(f, d.EngineVersion), s);
                break;
            }
            case TwinPatientDataLinked l:
            {
                var link = f.Node(new LineageNode($"{twin}/link/{s.Version}", ProvKind.Activity, "patient-data-link",
                    $"linked subject {l.SubjectPseudonym} of {l.DatasetId} {l.DatasetVersion}", l.LinkedAt, Attrs(("purpose", l.Purpose))));
                f.Edge(link, ProvRelation.Used, SubjectData(f, l.DatasetId, l.DatasetVersion, l.SubjectPseudonym, s), s);
                if (l.GrantId is not null) f.Edge(link, ProvRelation.Used, $"grant:{l.GrantId}", s);
                f.Edge(link, ProvRelation.WasAssociatedWith, f.Person(s.Actor, s.ActorInstitution, s), s);
                f.Edge(twin, ProvRelation.WasInfluencedBy, link, s);
                break;
            }
            case TwinCalibrated c:
            {
                var result = f.Node(new LineageNode($"{twin}/calibration/{s.Version}", ProvKind.Entity, "calibration", "personalised parameters", c.CalibratedAt,
                    Attrs(("requestHash", c.RequestHash), ("parameters", string.Join(", ", c.Parameters.Select(p => p.Name))))));
                var activity = Step(f, s, twin, "calibrate", "calibration", $"calibrated on {c.Observations.Count} {c.Observations.Kind} observations", c.CalibratedAt, c.ModelId, c.ModelVersion, c.EngineVersion,
                    SubjectData(f, c.DatasetId, c.DatasetVersion, c.SubjectPseudonym, s), c.GrantId);
                f.Edge(result, ProvRelation.WasGeneratedBy, activity, s);
                f.Edge(twin, ProvRelation.WasDerivedFrom, result, s);
                m.LastCalibration = result;
                break;
            }
            case TwinValidated v:
            {
                var result = f.Node(new LineageNode($"{twin}/validation/{s.Version}", ProvKind.Entity, "validation", v.Passed ? "validation passed" : "validation failed",
                    v.ValidatedAt, Attrs(("requestHash", v.RequestHash), ("failures", string.Join("; ", v.Failures)))));
                var activity = Step(f, s, twin, "validate", "validation", $"validated on {v.HeldOut.Count} held-out {v.HeldOut.Kind} observations", v.ValidatedAt, v.ModelId, v.ModelVersion, v.EngineVersion,
                    SubjectData(f, v.DatasetId, v.DatasetVersion, v.SubjectPseudonym, s), v.GrantId);
                if (m.LastCalibration is not null) f.Edge(activity, ProvRelation.Used, m.LastCalibration, s);
                f.Edge(result, ProvRelation.WasGeneratedBy, activity, s);
                f.Edge(twin, ProvRelation.WasDerivedFrom, result, s);
                break;
            }
            case TwinScenarioTested t:
            {
                var result = f.Node(new LineageNode($"{twin}/scenario/{t.ScenarioId}", ProvKind.Entity, "scenario-result", $"what-if {t.ScenarioId}", t.TestedAt,
                    Attrs(("requestHash", t.RequestHash), ("runner", t.Runner), ("runId", t.RunId ?? ""))));
                var activity = Step(f, s, twin, "scenario-test", "scenario-test", $"scenario {t.ScenarioId}", t.TestedAt, t.ModelId, t.ModelVersion, t.EngineVersion, null, null);
                f.Edge(activity, ProvRelation.Used, twin, s);
                if (m.LastCalibration is not null) f.Edge(activity, ProvRelation.Used, m.LastCalibration, s);
                f.Edge(result, ProvRelation.WasGeneratedBy, activity, s);
                if (t.RunId is not null)
                {
                    // Computed as a simulation run: the test was informed by the run, its result derives from the run's results.
                    var run = RunEventTypes.StreamOf(t.RunId);
                    f.Edge(activity, ProvRelation.WasInformedBy, run, s);
                    f.Edge(result, ProvRelation.WasDerivedFrom, $"{run}/results", s);
                }
                break;
            }
            case TwinActivated a:
            {
                var activity = f.Node(new LineageNode($"{twin}/activation/{s.Version}", ProvKind.Activity, "activation", "activated", a.ActivatedAt));
                f.Edge(activity, ProvRelation.Used, twin, s);
                f.Edge(activity, ProvRelation.WasAssociatedWith, f.Person(a.By, s.ActorInstitution, s), s);
                break;
            }
            case TwinRetired r:
            {
                var activity = f.Node(new LineageNode($"{twin}/retirement", ProvKind.Activity, "retirement", $"retired: {r.Reason}", r.RetiredAt));
                f.Edge(activity, ProvRelation.WasAssociatedWith, f.Person(r.By, s.ActorInstitution, s), s);
                f.Edge(twin, ProvRelation.WasInvalidatedBy, activity, s);
                break;
            }
            case TwinMarkedStale x:
            {
                var activity = f.Node(new LineageNode($"{twin}/stale/{s.Version}", ProvKind.Activity, "staleness", $"stale ({x.Cause}): {x.Reason}", x.MarkedAt));
                f.Edge(activity, ProvRelation.Used, twin, s);
                break;
            }
        }
    }

    /// <summary>A simulation run is an activity: it used a model version, the engine, dataset versions and grants; its results come from it.</summary>
    private static void ApplyRun(LineageFacts f, LineageSource s, object e)
    {
        var run = s.Stream;
        switch (e)
        {
            case RunSubmitted r:
            {
                f.Node(new LineageNode(run, ProvKind.Activity, "simulation-run", $"{AccessPolicy.Kebab(r.Kind)} run of {r.ModelId} {r.ModelVersion} ({Subjects(r.Subjects)})",
                    r.SubmittedAt, Attrs(("requestHash", r.RequestHash), ("seed", r.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                        ("solver", r.Solver.Method ?? "auto"), ("purpose", r.Purpose ?? ""))));
                f.Edge(run, ProvRelation.Used, ModelVersion(f, r.ModelId, r.ModelVersion), s);
                f.Edge(run, ProvRelation.Used, Engine(f, r.EngineVersion), s);
                foreach (var d in r.Datasets) f.Edge(run, ProvRelation.Used, DatasetVersion(f, d.Id, d.Version), s);
                foreach (var g in r.Grants) f.Edge(run, ProvRelation.Used, $"grant:{g}", s);
                f.Edge(run, ProvRelation.WasAssociatedWith, f.Person(r.Owner, r.OwnerInstitution, s), s);
                // Runs submitted before seeds were fitted after the submission carry the fitted seed in their request.
                if (r.Request.CohortFrom is { DatasetVersion: not null } seed) CohortSeed(f, s, run, seed, r.SubmittedAt);
                break;
            }
            case CohortSeeded x:
                CohortSeed(f, s, run, x.Seed, x.SeededAt);
                break;
            case RunSuspended x:
                f.Edge(f.Node(new LineageNode($"{run}/suspension/{s.Version}", ProvKind.Activity, "suspension", $"suspended: {x.Reason}", x.SuspendedAt)),
                    ProvRelation.WasInformedBy, run, s);
                break;
            case RunResumed x:
                foreach (var g in x.Grants) f.Edge(run, ProvRelation.Used, $"grant:{g}", s);
                break;
            case RunCancelled c:
            {
                var cancellation = f.Node(new LineageNode($"{run}/cancellation", ProvKind.Activity, "cancellation", $"cancelled: {c.Reason}", c.CancelledAt));
                f.Edge(cancellation, ProvRelation.WasInformedBy, run, s);
                f.Edge(cancellation, ProvRelation.WasAssociatedWith, f.Person(c.By, s.ActorInstitution, s), s);
                break;
            }
            case RunFailed x:
                f.Edge(f.Node(new LineageNode($"{run}/failure", ProvKind.Activity, "failure", $"failed: {x.Reason}", x.FailedAt)), ProvRelation.WasInformedBy, run, s);
                break;
            case RunCompleted c:
            {
                var results = f.Node(new LineageNode($"{run}/results", ProvKind.Entity, "run-results", $"results of {Subjects(c.Subjects)} ({c.Failed} failed)", c.CompletedAt,
                    Attrs(("resultHash", c.ResultHash), ("requestHash", c.RequestHash))));
                f.Edge(results, ProvRelation.WasGeneratedBy, run, s);
                foreach (var g in c.Grants) f.Edge(run, ProvRelation.Used, $"grant:{g}", s);
                // The institutions whose silos computed the shards took part in the run, in the role of their silos.
                foreach (var site in c.ComputedAt ?? [])
                    foreach (var institution in site.Institutions)
                        f.Edge(run, ProvRelation.WasAssociatedWith, f.Organisation(institution), s,
                            Attrs(("role", site.Role is { } role ? $"computing silo ({role})" : "computing silo"), ("shards", site.Shards.ToString(System.Globalization.CultureInfo.InvariantCulture))));
                break;
            }
        }
    }

    /// <summary>A seeded cohort is more than a use of the dataset: its distributions were derived from that version's subjects.</summary>
    private static void CohortSeed(LineageFacts f, LineageSource s, string run, Contracts.Runs.CohortSeed seed, DateTimeOffset at)
    {
        if (seed.DatasetVersion is not { } version) return;
        var cohort = f.Node(new LineageNode($"{run}/cohort-seed", ProvKind.Entity, "cohort-seed",
            $"virtual cohort seed from {seed.Subjects} subjects of {seed.Dataset} {version}", at,
            Attrs(("method", seed.Method ?? ""), ("subjects", seed.Subjects?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? ""),
                ("parameters", string.Join(",", (seed.Parameters ?? []).Select(p => p.Parameter))))));
        f.Edge(cohort, ProvRelation.WasDerivedFrom, DatasetVersion(f, seed.Dataset, version), s);
        f.Edge(run, ProvRelation.Used, cohort, s);
    }

    /// <summary>A twin step that used the model version, the engine, the subject's data and the grant.</summary>
    private static string Step(LineageFacts f, LineageSource s, string twin, string path, string type, string label, DateTimeOffset at,
        string modelId, string modelVersion, string engineVersion, string? data, string? grantId)
    {
        var activity = f.Node(new LineageNode($"{twin}/{path}/{s.Version}", ProvKind.Activity, type, label, at));
        f.Edge(activity, ProvRelation.Used, ModelVersion(f, modelId, modelVersion), s);
        f.Edge(activity, ProvRelation.Used, Engine(f, engineVersion), s);
        if (data is not null) f.Edge(activity, ProvRelation.Used, data, s);
        if (grantId is not null) f.Edge(activity, ProvRelation.Used, $"grant:{grantId}", s);
        f.Edge(activity, ProvRelation.WasAssociatedWith, f.Person(s.Actor, s.ActorInstitution, s), s);
        return activity;
    }

    /// <summary>One subject's part of a dataset version (only the pseudonym: never anything identifying).</summary>
    private static string SubjectData(LineageFacts f, string dataset, string version, string pseudonym, LineageSource s)
    {
        var id = f.Node(new LineageNode($"resource:{dataset}@{version}/subject/{pseudonym}", ProvKind.Entity, "subject-data", $"subject {pseudonym} of {dataset} {version}"));
        f.Edge(id, ProvRelation.WasDerivedFrom, DatasetVersion(f, dataset, version), s);
        return id;
    }

    private static string ModelVersion(LineageFacts f, string model, string version) =>
        f.Node(new LineageNode($"resource:{model}@{version}", ProvKind.Entity, "model-version", $"{model} {version}", Defined: false));

    /// <summary>One engine node for both spellings of the engine (<see cref="EngineIdentity"/>).</summary>
    private static string Engine(LineageFacts f, string version)
    {
        var engine = EngineIdentity.Canonical(version);
        return f.Node(new LineageNode($"engine:{engine}", ProvKind.Entity, "engine-version", engine));
    }

    private static string Subjects(long n) => n == 1 ? "1 subject" : $"{n} subjects";

    /// <summary>A dataset version as referred to by other streams (its release defines it).</summary>
    private static string DatasetVersion(LineageFacts f, string dataset, string version) =>
        f.Node(new LineageNode($"resource:{dataset}@{version}", ProvKind.Entity, "dataset-version", $"{dataset} {version}", Defined: false));

    private static IReadOnlyDictionary<string, string> Attrs(params (string Key, string Value)[] pairs) =>
        pairs.Where(p => !string.IsNullOrEmpty(p.Value)).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);

    private static string Kebab<TEnum>(TEnum value) where TEnum : struct, Enum => AccessPolicy.Kebab(value);
}

/// <summary>
/// What an earlier event of a stream named, for its later ones (the decision that issued a grant, the previous release):
/// one per stream, carried from event to event by <see cref="LineageRules.Apply"/>.
/// </summary>
public sealed record LineageStreamMemory
{
    // Settable properties of a record: the lineage store keeps each stream's memory between catch-ups (as JSON) and
    // writes back only the memories an event changed (compared by value).
    public string? LastDecision { get; set; }
    public string? LastRelease { get; set; }
    public string Kind { get; set; } = "resource";
    public string? LastCalibration { get; set; }
}
