using DthGrains.Contracts.Catalogue;
using DthGrains.Contracts.Runs;
using DthGrains.Integration.Tests.Infrastructure;
using static DthGrains.Integration.Tests.Governance.GovernanceTestData;
using static DthGrains.Integration.Tests.Runs.RunTestData;
using static DthGrains.Integration.Tests.Twins.TwinTestData;

namespace DthGrains.Integration.Tests.Runs;

/// <summary>
/// A cohort seed is fitted on the data owner's silo, never where the run is submitted; without that silo the run waits,
/// suspended with the reason, and is seeded and completed once the silo is back.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class SeededCohortResidencyTests
{
    private static object Seeded => new
    {
        kind = "cohort-trial", model = "hovorka", size = 50, seed = 3, duration = 60, outputStep = 30, purpose = "scientific-research",
        cohortFrom = new { dataset = CharitéData },
    };

    [Fact]
    public async Task A_seed_requested_at_another_institution_is_fitted_on_the_owner_silo_and_waits_for_it_when_it_is_away()
    {
        await using var pair = await OwnerAndGuest.StartAsync("seed-residency");
        var carla = pair.Researcher;
        var first = await WaitForStatusAsync(carla, await SubmitAsync(carla, Seeded), "completed");

        (await pair.GuestGrains.GetGrain<ICohortSeedGrain>(DatasetKeys.For("charite", CharitéData)).HostingInstitutionsAsync())
            .Should().Be($"charite,inria@{pair.OwnerSilo.ToParsableString()}");
        var stats = await pair.GuestGrains.GetGrain<IManagementGrain>(0).GetDetailedGrainStatistics();
        stats.Where(s => s.GrainType.Contains("CohortSeedGrain") || s.GrainType.Contains("DatasetGrain")).Should().NotBeEmpty()
            .And.OnlyContain(s => s.SiloAddress.Equals(pair.OwnerSilo), "the subjects are read and calibrated at Charité only");

        // Without Charité's silo the submission is still accepted; the run waits for the data, saying why.
        await pair.StopOwnerAsync();
        var id = await SubmitAsync(carla, Seeded);
        var waiting = await WaitForStatusAsync(carla, id, "suspended");
        waiting.GetProperty("statusReason").GetString().Should().Contain("no live silo");
        waiting.GetProperty("subjectsDone").GetInt64().Should().Be(0);

        // Charité is back: the supervisor fits the seed there, and the run completes with the first run's results.
        await pair.RestartOwnerAsync();
        var resumed = await WaitForStatusAsync(carla, id, "completed");
        resumed.GetProperty("requestHash").GetString().Should().Be(first.GetProperty("requestHash").GetString());
        resumed.GetProperty("resultHash").GetString().Should().Be(first.GetProperty("resultHash").GetString());
        var types = (await ReadEventsAsync(carla, id)).Select(e => e.Event).ToList();
        types.Should().ContainInOrder("runs.run_submitted", "runs.run_suspended", "runs.cohort_seeded", "runs.run_resumed", "runs.run_completed");
        types.Should().NotContain("runs.run_started");
    }
}
