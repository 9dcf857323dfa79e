using DthGrains.Contracts.Catalogue;
using DthGrains.Contracts.Platform;
using DthGrains.Domain.Platform;

namespace DthGrains.Domain.Catalogue;

/// <summary>Pure decide functions of the catalogue lifecycle. Field-level metadata rules live in the JSON Schema at the edge.</summary>
public static class CatalogueDecisions
{
    public static Decision Draft(ResourceState s, ResourceKind kind, ResourceMetadata metadata, string? publisher, DateTimeOffset now)
    {
        // Another institution's draft is not visible to anyone else (a 404 to a read or a write): an id it holds is only
        // "taken", with no version or ETag that would tell how far the draft has got. Ids are one namespace.
        if (s.Exists && s.Status == ResourceStatus.Draft && s.Publisher != publisher)
            return Problem.Conflict($"The id '{s.Id}' is taken; choose another id for the new resource.");
        if (s.Exists) return Problem.Conflict($"Resource '{s.Id}' already exists (version {s.Version}).", s.Version);
        if (publisher is null || !Ids.IsValid(publisher))
            return Problem.Forbidden("Only a member of an institution can publish to the catalogue: the token carries no institution.");
        return Decision.Of(new ResourceDrafted(s.Id, kind, publisher, metadata, now));
    }

    public static Decision Revise(ResourceState s, ResourceMetadata metadata, DateTimeOffset now)
    {
        if (Missing(s) is { } missing) return missing;
        if (s.Status is ResourceStatus.Withdrawn) return Terminal(s);
        return Structural.Same(metadata, s.Metadata) ? Decision.Nothing : Decision.Of(new ResourceMetadataRevised(s.Id, metadata, now));
    }

    public static Decision Release(ResourceState s, VersionRelease release, DatasetFacts? dataset, DateTimeOffset now)
    {
        if (Missing(s) is { } missing) return missing;
        if (s.Status is ResourceStatus.Withdrawn or ResourceStatus.Deprecated) return Terminal(s);
        if (dataset is null && s.Kind == ResourceKind.Dataset)
            return Problem.Invalid("version", "Dataset versions are created by uploading a FHIR Bundle to the dataset's versions route.");
        if (!SemanticVersion.TryParse(release.Version, out var version))
            return Problem.Invalid("version", "'version' must be a semantic version such as 1.2.0 or 2.0.0-rc.1.");
        if (string.IsNullOrWhiteSpace(release.ReleaseNotes) || release.ReleaseNotes.Length > 4000)
            return Problem.Invalid("releaseNotes", "'releaseNotes' are required (at most 4000 characters).");
        if (string.IsNullOrWhiteSpace(release.Checksum) || release.Checksum.Length > 200)
            return Problem.Invalid("checksum", "'checksum' of the version's artefacts is required, for example sha256:<hex>.");
        if (s.FindVersion(release.Version) is not null)
            return Problem.Conflict($"Version {release.Version} of '{s.Id}' is already released; released versions are immutable. Release a new version instead.", s.Version);
        if (s.LatestVersion is { } latest && SemanticVersion.TryParse(latest, out var current) && version.CompareTo(current) <= 0)
            return Problem.Conflict($"Version {release.Version} is not newer than the latest version {latest}.", s.Version);
        return Decision.Of(new ResourceVersionReleased(s.Id, release.Version, release.ReleaseNotes, release.Checksum,
            release.ConformsTo ?? s.Metadata!.ConformsTo, s.Metadata!, dataset, now));
    }

    public static Decision Publish(ResourceState s, DateTimeOffset now)
    {
        if (Missing(s) is { } missing) return missing;
        if (s.Status == ResourceStatus.Published) return Decision.Nothing;
        if (s.Status != ResourceStatus.Draft) return Terminal(s);
        if (s.Versions.Count == 0)
            return Problem.Conflict($"'{s.Id}' has no released version yet: release one (or upload one, for a dataset) before publishing.", s.Version);
        return Decision.Of(new ResourcePublished(s.Id, now));
    }

    public static Decision Deprecate(ResourceState s, string? reason, DateTimeOffset now)
    {
        if (Missing(s) is { } missing) return missing;
        if (Reason(reason) is { } bad) return bad;
        if (s.Status != ResourceStatus.Published)
            return Problem.Conflict($"Only a published resource can be deprecated; '{s.Id}' is {s.Status.ToString().ToLowerInvariant()}.", s.Version);
        return Decision.Of(new ResourceDeprecated(s.Id, reason!, now));
    }

    public static Decision Withdraw(ResourceState s, string? reason, DateTimeOffset now)
    {
        if (Missing(s) is { } missing) return missing;
        if (Reason(reason) is { } bad) return bad;
        if (s.Status == ResourceStatus.Withdrawn) return Terminal(s);
        return Decision.Of(new ResourceWithdrawn(s.Id, reason!, now));
    }

    /// <summary>
    /// Records a V&amp;V 40 record on a model version. Levels are 0..5; every factor appears once; an achieved level
    /// may be raised above the previous record's only when the factor also names evidence it did not name before.
    /// </summary>
    public static Decision RecordCredibility(ResourceState s, string version, CredibilityRecord record, DateTimeOffset now)
    {
        if (Missing(s) is { } missing) return missing;
        if (s.Kind != ResourceKind.Model) return Problem.Invalid("kind", "Credibility records belong to model versions.");
        if (s.Status is ResourceStatus.Withdrawn) return Terminal(s);
        var target = s.FindVersion(version);
        if (target is null) return Problem.NotFound($"Version {version} of '{s.Id}'");
        var errors = new FieldErrors()
            .RequireText(record.Header.QuestionOfInterest, "header.questionOfInterest", 2000)
            .RequireText(record.Header.ContextOfUse, "header.contextOfUse", 4000)
            .Require(record.Header.ModelInfluence is >= 1 and <= 3, "header.modelInfluence", "'modelInfluence' is 1 (low), 2 (medium) or 3 (high).")
            .Require(record.Header.DecisionConsequence is >= 1 and <= 3, "header.decisionConsequence", "'decisionConsequence' is 1 (low), 2 (medium) or 3 (high).")
            .Require(record.Factors.Select(f => f.Factor).Distinct().Count() == record.Factors.Length, "factors", "Each factor may appear only once.");
        foreach (var (f, i) in record.Factors.Select((f, i) => (f, i)))
        {
            errors.Require(Enum.IsDefined(f.Factor), $"factors[{i}].factor", "Unknown V&V 40 factor.")
                .Require(f.Required is >= 0 and <= 5 && f.Achieved is >= 0 and <= 5, $"factors[{i}]", "Levels are 0 to 5.")
                .Require(f.Achieved == 0 || f.Evidence.Length > 0, $"factors[{i}].evidence", $"An achieved level of {f.Achieved} needs evidence (links to verification, validation or calibration results).");
            var before = target.Credibility?.Factors.FirstOrDefault(p => p.Factor == f.Factor);
            if (before is not null && f.Achieved > before.Achieved && !f.Evidence.Except(before.Evidence).Any())
                errors.Add($"factors[{i}].evidence", $"Raising '{f.Factor}' from {before.Achieved} to {f.Achieved} needs new evidence; the links given were already behind level {before.Achieved}.");
        }
        if (errors.ToProblem() is { } invalid) return invalid;
        return Structural.Same(target.Credibility, record) ? Decision.Nothing : Decision.Of(new CredibilityRecorded(s.Id, version, record, now));
    }

    private static Problem? Missing(ResourceState s) => s.Exists ? null : Problem.NotFound($"Resource '{s.Id}'");

    private static Problem Terminal(ResourceState s) =>
        Problem.Conflict($"'{s.Id}' is {s.Status.ToString().ToLowerInvariant()} ({s.StatusReason}); it cannot change any more.", s.Version);

    private static Problem? Reason(string? reason) =>
        string.IsNullOrWhiteSpace(reason) || reason.Length > 2000 ? Problem.Invalid("reason", "A reason a person can read is required (at most 2000 characters).") : null;
}
