using System.Net;
using DthGrains.Contracts.Catalogue;
using DthGrains.Contracts.Runs;
using DthGrains.Integration.Tests.Infrastructure;
using static DthGrains.Integration.Tests.Governance.GovernanceTestData;
using static DthGrains.Integration.Tests.Runs.RunTestData;
using static DthGrains.Integration.Tests.Twins.TwinTestData;

namespace DthGrains.Integration.Tests.Runs;

/// <summary>A cohort seed is fitted on the data owner's silo, never where the run is submitted; without that silo it is a 503.</summary>
[Collection(PostgresCollection.Name)]
public sealed class SeededCohortResidencyTests
{
    private static object Seeded => new
    {
        kind = "cohort-trial", model = "hovorka", size = 50, seed = 3, duration = 60, outputStep = 30, purpose = "scientific-research",
        cohortFrom = new { dataset = CharitéData },
    };

    [Fact]
    public async Task A_seed_requested_at_another_institution_is_fitted_on_the_owner_silo_and_is_a_503_without_it()
    {
        await using var pair = await OwnerAndGuest.StartAsync("seed-residency");
        var carla = pair.Researcher;
        await WaitForStatusAsync(carla, await SubmitAsync(carla, Seeded), "completed");

        (await pair.GuestGrains.GetGrain<ICohortSeedGrain>(DatasetKeys.For("charite", CharitéData)).HostingInstitutionsAsync())
            .Should().Be($"charite,inria@{pair.OwnerSilo.ToParsableString()}");
        var stats = await pair.GuestGrains.GetGrain<IManagementGrain>(0).GetDetailedGrainStatistics();
        stats.Where(s => s.GrainType.Contains("CohortSeedGrain") || s.GrainType.Contains("DatasetGrain")).Should().NotBeEmpty()
            .And.OnlyContain(s => s.SiloAddress.Equals(pair.OwnerSilo), "the subjects are read and calibrated at Charité only");

        await pair.StopOwnerAsync();
        var unavailable = await carla.PostAsync("/api/runs", Body(Seeded));
        var text = await unavailable.Content.ReadAsStringAsync();
        unavailable.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable, text);
        text.Should().Contain("no live silo");
    }
}
