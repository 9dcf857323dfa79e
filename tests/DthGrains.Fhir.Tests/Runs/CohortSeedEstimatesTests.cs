using System.Diagnostics;
using DthGrains.Domain.Runs;
using DthGrains.Fhir.Mapping;
using DthGrains.Fhir.Runs;
using DthGrains.Fhir.Synthetic;
using DthGrains.Simulation.Models;
using Xunit.Abstractions;

namespace DthGrains.Fhir.Tests.Runs;

public sealed class CohortSeedEstimatesTests(ITestOutputHelper output)
{
    /// <summary>
    /// The demo datasets' shape (5 synthetic patients, 3 days): every subject is usable, the estimates name exactly the
    /// parameters a seed sets, and the seed's medians lie within the published ranges. Prints the CPU time per subject,
    /// which bounds <see cref="CohortSeeding.MaxSubjects"/>.
    /// </summary>
    [Fact]
    public void Synthetic_subjects_give_estimates_of_the_seeded_parameters_and_a_seed()
    {
        var cohort = new SyntheticCohortRequest("hovorka", Patients: 5, Days: 3, Seed: 11);
        var cpu = Stopwatch.StartNew();
        var estimates = Enumerable.Range(0, cohort.Patients).Select(i =>
        {
            var patient = SyntheticPatients.GeneratePatient(cohort, i);
            return CohortSeedEstimates.Estimate(FhirToModel.Map(patient.BundleJson, patient.Pseudonym, "hovorka"), "1.0.0");
        }).ToList();
        output.WriteLine($"map + calibrate: {cpu.Elapsed.TotalMilliseconds / cohort.Patients:F0} ms per subject (one thread, incl. generating the patient)");

        estimates.Should().OnlyContain(e => e != null);
        foreach (var e in estimates)
            e!.Select(x => x.Parameter).Should().BeEquivalentTo(CohortSeeding.SeededParameters(HovorkaModel.Id));
        var (seed, problem) = CohortSeeding.Aggregate("charite-t1d-synthetic", "1.0.0", estimates.Select(e => e!).ToList(), 0);
        problem.Should().BeNull();
        var info = ModelLibrary.Get("hovorka").Info;
        foreach (var p in seed!.Parameters!)
        {
            output.WriteLine($"{p.Parameter}: median {p.Median:G4}, CV {p.Cv:P0}");
            var published = info.Parameters[info.ParameterIndex(p.Parameter)];
            p.Median.Should().BeInRange(published.Lower, published.Upper, p.Parameter);
        }
    }

    [Fact]
    public void A_subject_without_usable_data_gives_no_estimate()
    {
        var patient = SyntheticPatients.GeneratePatient(new SyntheticCohortRequest("hovorka", 1, 3, 1), 0);
        CohortSeedEstimates.Estimate(FhirToModel.Map(patient.BundleJson, "someone-else", "hovorka"), "1.0.0").Should().BeNull();
    }
}
