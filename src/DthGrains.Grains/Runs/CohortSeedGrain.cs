using DthGrains.Contracts.Catalogue;
using DthGrains.Contracts.Platform;
using DthGrains.Contracts.Runs;
using DthGrains.Domain.Runs;
using DthGrains.Fhir.Runs;
using DthGrains.Grains.Catalogue;
using DthGrains.Grains.Federation;
using DthGrains.Grains.Twins;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;

namespace DthGrains.Grains.Runs;

/// <summary>
/// Computation goes to the data, as for twins: a cohort seed is fitted here, on a silo of the institution that holds the
/// dataset (placement filter), and only the aggregate distributions travel back to the run. Subjects are read in pages
/// through the dataset's grain (policy checked for 'simulate', each page's read recorded with its pseudonyms) and
/// calibrated off the grain turn. Stateless, so reentrant.
/// </summary>
[InstitutionResidency]
[Reentrant]
public sealed class CohortSeedGrain(IOptions<FederationOptions> federation, ILocalSiloDetails silo, ISeedFitGate gate) : Grain, ICohortSeedGrain
{
    public async Task<Outcome<CohortSeed>> FitAsync(string datasetVersion, string modelId, string modelVersion, CommandContext context, CancellationToken cancellationToken)
    {
        var key = this.GetPrimaryKeyString();
        var dataset = GrainFactory.GetGrain<IDatasetGrain>(key);
        var usable = new List<IReadOnlyList<ParameterEstimate>>();
        int read = 0, excluded = 0;
        while (read < CohortSeeding.MaxSubjects)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var page = await dataset.ReadSubjectsAsync(datasetVersion, read, Math.Min(DatasetGrain.MaxSubjectsPerRead, CohortSeeding.MaxSubjects - read), SubjectComputeGrain.Action, context);
            if (!page.IsSuccess) return page.Problem!;
            var subjects = page.Value!.Subjects;
            if (subjects.Length == 0) break;
            read += subjects.Length;
            // Subjects are independent fits: use the silo's cores, in a fixed order so the seed does not depend on scheduling.
            // A fit the caller gave up on stops between subjects, so an abandoned fit does not hold the data holder's cores.
            var estimates = await Task.Run(() => subjects.AsParallel().AsOrdered().WithCancellation(cancellationToken)
                .Select(s =>
                {
                    gate.Enter(cancellationToken);
                    return CohortSeedEstimates.Estimate(SubjectComputeGrain.MapTimeline(s, modelId), modelVersion);
                }).ToArray(), cancellationToken);
            foreach (var e in estimates)
            {
                if (e is null) excluded++;
                else usable.Add(e);
            }
            if (read >= page.Value.Total) break;
        }
        var (seed, problem) = CohortSeeding.Aggregate(DatasetKeys.Parse(key).DatasetId, datasetVersion, usable, excluded);
        return problem ?? Outcome<CohortSeed>.Ok(seed!, 0);
    }

    public Task<string> HostingInstitutionsAsync() => Task.FromResult(Residency.Describe(federation.Value, silo));
}
