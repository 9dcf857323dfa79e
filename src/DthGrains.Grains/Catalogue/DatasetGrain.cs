using DthGrains.Contracts.Catalogue;
using DthGrains.Contracts.Platform;
using DthGrains.Domain.Catalogue;
using DthGrains.Fhir.Datasets;
using DthGrains.Grains.Federation;
using DthGrains.Grains.Platform;
using Microsoft.Extensions.Options;

namespace DthGrains.Grains.Catalogue;

/// <summary>
/// The only way to a dataset's payload. Runs only on silos of the owning institution (placement filter), keeps
/// the payload in that institution's database, and records every read and every refusal in the dataset's access log.
/// </summary>
[InstitutionResidency]
public sealed class DatasetGrain(
    PayloadStore payloads,
    EventLog log,
    IDatasetAccessPolicy policy,
    IOptions<FederationOptions> federation,
    ILocalSiloDetails silo,
    DomainClock clock) : Grain, IDatasetGrain
{
    private string Institution => DatasetKeys.Parse(this.GetPrimaryKeyString()).Institution;

    private string DatasetId => DatasetKeys.Parse(this.GetPrimaryKeyString()).DatasetId;

    public async Task<Outcome<ResourceView>> UploadAsync(byte[] bundleJson, string version, string releaseNotes, CommandContext context)
    {
        var resource = GrainFactory.GetGrain<IResourceGrain>(DatasetId);
        var current = await resource.GetAsync(context.Actor);
        if (!current.IsSuccess) return current.Problem!;
        var view = current.Value!;
        if (view.Kind != ResourceKind.Dataset) return Problem.Invalid("id", $"'{DatasetId}' is a {view.Kind.ToString().ToLowerInvariant()}, not a dataset.");
        if (view.Publisher != Institution) return Problem.NotFound($"Dataset '{DatasetId}' of '{Institution}'");
        if (CatalogueAccess.MayChange(context.Actor, ResourceKind.Dataset, view.Publisher) is { } forbidden) return forbidden;
        if (!SemanticVersion.TryParse(version, out _)) return Problem.Invalid("version", "'version' must be a semantic version such as 1.0.0.");
        if (view.Versions.FirstOrDefault(v => v.Version == version) is { } released)
        {
            // The repeat of this very upload (same Idempotency-Key, same bundle and query) gets its first answer, a key
            // used for another request its 422: the resource's grain keeps the keys. Without a key, the version is taken.
            return context.IdempotencyKey is null
                ? Problem.Conflict($"Version {version} of dataset '{DatasetId}' already exists; released versions are immutable.", view.StreamVersion)
                : await resource.RecordDatasetVersionAsync(new VersionRelease(version, released.ReleaseNotes, released.Checksum), released.Dataset ?? new DatasetFacts(new Dictionary<string, int>(), 0, 0), context);
        }

        // Parsing and validating a large Bundle takes seconds: off the grain turn, so the silo's scheduler stays responsive.
        var parsed = await Task.Run(() => DatasetBundleReader.Read(new MemoryStream(bundleJson, writable: false), DatasetBundleLimits.Default));
        if (parsed.Failure is { } failure)
            return new Problem((ProblemKind)failure.StatusCode, "The FHIR Bundle was refused", failure.Issues.FirstOrDefault()?.Diagnostics ?? "Invalid Bundle.", null, null, failure.OperationOutcomeJson);
        var content = parsed.Content!;

        // A payload the catalogue does not list is left by an upload whose record failed with the store out of reach:
        // the same bundle's retry keeps it, another bundle replaces it (nobody could read it: reads serve listed versions).
        var stored = await payloads.ChecksumAsync(Institution, DatasetId, version);
        if (stored is not null && stored != content.Checksum) await payloads.DeleteAsync(Institution, DatasetId, version);
        if (stored != content.Checksum) await payloads.WriteAsync(Institution, DatasetId, version, content, bundleJson.LongLength);
        var facts = new DatasetFacts(content.CountsByType, content.Subjects.Count, bundleJson.LongLength);
        var recorded = await resource.RecordDatasetVersionAsync(new VersionRelease(version, releaseNotes, $"sha256:{content.Checksum}"), facts, context);
        // Refused (an exception leaves the payload to the retry): removed unless the catalogue lists the version after all,
        // recorded meanwhile by a rival activation or an append whose outcome was unknown.
        if (!recorded.IsSuccess && !await ListsAsync(resource, version)) await payloads.DeleteAsync(Institution, DatasetId, version);
        return recorded;
    }

    private async Task<bool> ListsAsync(IResourceGrain resource, string version) =>
        await resource.GetAsync(Actor.System(Institution)) is { IsSuccess: true } now && now.Value!.Versions.Any(v => v.Version == version);

    public async Task<Outcome<string>> ReadAsync(string version, CommandContext context)
    {
        if (await UnseenAsync(context.Actor, version) is { } unseen) return unseen;

        var decision = await policy.DecideAsync(new DatasetAccessRequest(Institution, DatasetId, version, context.Actor, context.Purpose, "read"), clock.GetUtcNow());
        if (!decision.Permit)
        {
            // The subjects whose data the refused read asked for: a data subject sees refusals too (EHDS Art. 9).
            var asked = await payloads.SubjectsAsync(Institution, DatasetId, version);
            await RecordAsync(new AccessDenied(DatasetId, Institution, version, context.Actor.Subject, context.Actor.Institution, context.Purpose, decision.Reason, clock.GetUtcNow(), asked, "read"), context);
            return Problem.Forbidden(decision.Reason);
        }
        var payload = await payloads.ReadAsync(Institution, DatasetId, version);
        if (payload is null) return Problem.NotFound($"Version {version} of dataset '{DatasetId}'");
        var subjects = payload.Value.Subjects;
        await RecordAsync(new DataAccessed(DatasetId, Institution, version, context.Actor.Subject, context.Actor.Institution, context.Purpose, decision.GrantId,
            subjects.Length, clock.GetUtcNow(), subjects, "read"), context);
        return Outcome<string>.Ok(payload.Value.Bundle, 0);
    }

    public async Task<Outcome<SubjectData>> ReadSubjectAsync(string version, string subjectPseudonym, string action, CommandContext context)
    {
        if (await UnseenAsync(context.Actor, version) is { } unseen) return unseen;

        var decision = await policy.DecideAsync(new DatasetAccessRequest(Institution, DatasetId, version, context.Actor, context.Purpose, action), clock.GetUtcNow());
        if (!decision.Permit)
        {
            await RecordAsync(new AccessDenied(DatasetId, Institution, version, context.Actor.Subject, context.Actor.Institution, context.Purpose, decision.Reason,
                clock.GetUtcNow(), [subjectPseudonym], action), context);
            return Problem.Forbidden(decision.Reason);
        }
        var rows = await payloads.ReadSubjectAsync(Institution, DatasetId, version, subjectPseudonym);
        if (rows is null) return Problem.NotFound($"Version {version} of dataset '{DatasetId}'");
        if (rows.Count == 0) return Problem.NotFound($"Subject '{subjectPseudonym}' in version {version} of dataset '{DatasetId}'");
        await RecordAsync(new DataAccessed(DatasetId, Institution, version, context.Actor.Subject, context.Actor.Institution, context.Purpose, decision.GrantId, 1,
            clock.GetUtcNow(), [subjectPseudonym], action), context);
        return Outcome<SubjectData>.Ok(new SubjectData(version, subjectPseudonym, rows.Select(r => new SubjectResource(r.Type, r.Id, r.Json)).ToArray(), decision.GrantId), 0);
    }

    /// <summary>Pages of at most this many subjects: a page's resources travel in one message between the institution's silos.</summary>
    public const int MaxSubjectsPerRead = 20;

    public async Task<Outcome<SubjectBatch>> ReadSubjectsAsync(string version, int skip, int take, string action, CommandContext context)
    {
        if (skip < 0 || take is < 1 or > MaxSubjectsPerRead) return Problem.Invalid("take", $"Read 1 to {MaxSubjectsPerRead} subjects from an offset of 0 or more.");
        if (await UnseenAsync(context.Actor, version) is { } unseen) return unseen;
        if (await payloads.SubjectsAsync(Institution, DatasetId, version) is not { } all) return Problem.NotFound($"Version {version} of dataset '{DatasetId}'");
        var page = all.Skip(skip).Take(take).ToArray();

        var decision = await policy.DecideAsync(new DatasetAccessRequest(Institution, DatasetId, version, context.Actor, context.Purpose, action), clock.GetUtcNow());
        if (!decision.Permit)
        {
            await RecordAsync(new AccessDenied(DatasetId, Institution, version, context.Actor.Subject, context.Actor.Institution, context.Purpose, decision.Reason,
                clock.GetUtcNow(), page, action), context);
            return Problem.Forbidden(decision.Reason);
        }
        var rows = await payloads.ReadSubjectsAsync(Institution, DatasetId, version, page);
        if (page.Length > 0)
            await RecordAsync(new DataAccessed(DatasetId, Institution, version, context.Actor.Subject, context.Actor.Institution, context.Purpose, decision.GrantId,
                page.Length, clock.GetUtcNow(), page, action), context);
        var subjects = page.Select(p => new SubjectData(version, p,
            rows.TryGetValue(p, out var r) ? r.Select(x => new SubjectResource(x.Type, x.Id, x.Json)).ToArray() : [], decision.GrantId)).ToArray();
        return Outcome<SubjectBatch>.Ok(new SubjectBatch(version, all.Length, subjects, decision.GrantId), 0);
    }

    public Task<string> HostingInstitutionsAsync() => Task.FromResult(Residency.Describe(federation.Value, silo));

    /// <summary>
    /// Not found (existence not leaked) unless this is a dataset of this institution that the actor may see (a draft only
    /// for its publisher's members), and a version its catalogue entry lists: a payload left by an upload whose record
    /// failed is never served.
    /// </summary>
    private async Task<Problem?> UnseenAsync(Actor actor, string version)
    {
        var resource = await GrainFactory.GetGrain<IResourceGrain>(DatasetId).GetAsync(Actor.System(Institution));
        if (!resource.IsSuccess || resource.Value!.Publisher != Institution || resource.Value.Kind != ResourceKind.Dataset
            || (resource.Value.Status == ResourceStatus.Draft && !CatalogueAccess.MaySee(actor, ResourceStatus.Draft, Institution)))
            return Problem.NotFound($"Dataset '{DatasetId}' of '{Institution}'");
        return resource.Value.Versions.Any(v => v.Version == version) ? null : Problem.NotFound($"Version {version} of dataset '{DatasetId}'");
    }

    /// <summary>Appends to the dataset's access log, after whatever a racing second activation appended meanwhile.</summary>
    private Task RecordAsync(object accessEvent, CommandContext context) =>
        log.AppendAtHeadAsync(CatalogueEventTypes.AccessLogOf(Institution, DatasetId), [accessEvent], context);
}
