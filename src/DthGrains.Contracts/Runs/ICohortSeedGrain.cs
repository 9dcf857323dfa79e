using DthGrains.Contracts.Platform;

namespace DthGrains.Contracts.Runs;

/// <summary>
/// Fits the seed of a cohort trial where the data are: resident on the owning institution's silos (key
/// <c>{institution}/{datasetId}</c>, like the dataset's grain). It reads the version's subjects through the dataset's
/// grain (policy checked with action <c>simulate</c>, each read or refusal recorded with the pseudonyms), maps and
/// calibrates each subject off the grain turn, and returns only aggregate distributions; no resource and no value of
/// one patient leaves the institution. Fewer usable subjects than the minimum is a 422.
/// </summary>
public interface ICohortSeedGrain : IGrainWithStringKey
{
    /// <summary>The filled-in seed of <paramref name="datasetVersion"/> for a model version; the context carries the run's purpose.</summary>
    Task<Outcome<CohortSeed>> FitAsync(string datasetVersion, string modelId, string modelVersion, CommandContext context);

    /// <summary>The institutions this activation's silo hosts and its address (<c>inst,…@silo</c>), for residency checks.</summary>
    Task<string> HostingInstitutionsAsync();
}
