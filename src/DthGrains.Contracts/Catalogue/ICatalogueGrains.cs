using DthGrains.Contracts.Platform;
using Orleans.Concurrency;

namespace DthGrains.Contracts.Catalogue;

/// <summary>One catalogue entry (model, method, dataset or twin) and its versions. Key: the resource id.</summary>
public interface IResourceGrain : IGrainWithStringKey
{
    /// <summary>The entry as <paramref name="viewer"/> may see it: a draft is NotFound to other institutions.</summary>
    [ReadOnly]
    Task<Outcome<ResourceView>> GetAsync(Actor viewer);

    /// <summary>Creates the entry as a draft of the caller's institution.</summary>
    Task<Outcome<ResourceView>> DraftAsync(ResourceKind kind, ResourceMetadata metadata, CommandContext context);

    /// <summary>Replaces the working metadata; released versions keep the metadata they were released with.</summary>
    Task<Outcome<ResourceView>> ReviseAsync(ResourceMetadata metadata, CommandContext context);

    /// <summary>Releases an immutable version (models, methods, twins; datasets get versions by upload).</summary>
    Task<Outcome<ResourceView>> ReleaseAsync(VersionRelease release, CommandContext context);

    /// <summary>Records a dataset version whose payload the owner's DatasetGrain has stored.</summary>
    Task<Outcome<ResourceView>> RecordDatasetVersionAsync(VersionRelease release, DatasetFacts facts, CommandContext context);

    /// <summary>Makes a draft with at least one version visible to every authenticated user.</summary>
    Task<Outcome<ResourceView>> PublishAsync(CommandContext context);

    /// <summary>Deprecates a published entry, with a reason a person can read.</summary>
    Task<Outcome<ResourceView>> DeprecateAsync(string reason, CommandContext context);

    /// <summary>Withdraws an entry, with a reason a person can read.</summary>
    Task<Outcome<ResourceView>> WithdrawAsync(string reason, CommandContext context);

    /// <summary>Records the V&amp;V 40 credibility of a model version; achieved levels rise only with new evidence.</summary>
    Task<Outcome<ResourceView>> RecordCredibilityAsync(string version, CredibilityRecord record, CommandContext context);
}

/// <summary>
/// A dataset's payload, reachable only through this grain, which activates only on silos of the owning
/// institution. Key: <c>{institution}/{datasetId}</c>.
/// </summary>
public interface IDatasetGrain : IGrainWithStringKey
{
    /// <summary>Validates a FHIR R4 Bundle and stores it as a new version in the institution's own database, all or nothing.</summary>
    Task<Outcome<ResourceView>> UploadAsync(byte[] bundleJson, string version, string releaseNotes, CommandContext context);

    /// <summary>Returns a version's payload as a FHIR collection Bundle, when the caller may read it; every attempt is recorded.</summary>
    Task<Outcome<string>> ReadAsync(string version, CommandContext context);

    /// <summary>
    /// Returns one subject's resources of a version (never the Patient resource: identity stays with the owner) when the
    /// policy permits <paramref name="action"/> for the context's purpose; the read or refusal is recorded with the pseudonym.
    /// </summary>
    Task<Outcome<SubjectData>> ReadSubjectAsync(string version, string subjectPseudonym, string action, CommandContext context);

    /// <summary>
    /// Returns the resources of up to <paramref name="take"/> subjects of a version after the first <paramref name="skip"/>
    /// (pseudonym order, Patient resources never) when the policy permits <paramref name="action"/>; the read or refusal is
    /// recorded once with the pseudonyms of the page. For work at the data (resident grains), never for a client.
    /// </summary>
    Task<Outcome<SubjectBatch>> ReadSubjectsAsync(string version, int skip, int take, string action, CommandContext context);

    /// <summary>Where this activation runs: the silo's institutions, for residency checks.</summary>
    [ReadOnly]
    Task<string> HostingInstitutionsAsync();
}

public static class DatasetKeys
{
    public static string For(string institution, string datasetId) => $"{institution}/{datasetId}";

    public static (string Institution, string DatasetId) Parse(string key)
    {
        var slash = key.IndexOf('/');
        return slash <= 0 ? ("", key) : (key[..slash], key[(slash + 1)..]);
    }
}
