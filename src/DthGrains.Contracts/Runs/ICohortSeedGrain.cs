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
    /// <summary>
    /// The filled-in seed of <paramref name="datasetVersion"/> for a model version; the context carries the run's purpose.
    /// The caller bounds the fit with <paramref name="cancellationToken"/> (Orleans carries its cancellation to this silo,
    /// and the fit stops between subjects); the response timeout is only the backstop behind that bound, above the call
    /// timeout of 30 s that a fit of the largest seed (40 subjects, seconds of CPU each on a busy silo) may exceed.
    /// </summary>
    [ResponseTimeout("00:10:00")]
    Task<Outcome<CohortSeed>> FitAsync(string datasetVersion, string modelId, string modelVersion, CommandContext context, CancellationToken cancellationToken);

    /// <summary>The institutions this activation's silo hosts and its address (<c>inst,…@silo</c>), for residency checks.</summary>
    Task<string> HostingInstitutionsAsync();
}
