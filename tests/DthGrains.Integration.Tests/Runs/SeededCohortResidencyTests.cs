using System.Net;
using DthGrains.Contracts.Catalogue;
using DthGrains.Contracts.Runs;
using DthGrains.Grains.Federation;
using DthGrains.Integration.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
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
        var connectionString = await TestPostgres.CreateDatabaseAsync("seed_residency", orleansSchema: true);
        var clusterId = $"seed-residency-{Guid.NewGuid():N}";
        var key = Path.Combine(TestPostgres.NewTemporaryFolder("seed-residency-key"), "key.pem");
        // Charité's silo (also hosting Inria, for the demo seed) holds the data; TUM's silo holds none.
        var owner = await TestHost.StartAsync("charite", seed: true, connectionString: connectionString, clusterId: clusterId, signingKeyPath: key);
        try
        {
            await using var tum = await TestHost.StartAsync("tum", connectionString: connectionString, clusterId: clusterId, alsoHosts: [], signingKeyPath: key);
            var silos = tum.Services.GetRequiredService<InstitutionSilos>();
            await Eventually.Until(() => Task.FromResult(silos.LiveSilosOf("charite").Count), n => n == 1, TimeSpan.FromSeconds(30), "Charité's silo seen from TUM's");
            await SeedReady(tum);

            var carla = tum.ClientAs("researcher", "tum", $"carla-{Guid.NewGuid():N}"[..16]);
            await GrantAsync(tum, carla);
            await WaitForStatusAsync(carla, await SubmitAsync(carla, Seeded), "completed");

            var ownerSilo = owner.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress;
            var grains = tum.Services.GetRequiredService<IGrainFactory>();
            (await grains.GetGrain<ICohortSeedGrain>(DatasetKeys.For("charite", CharitéData)).HostingInstitutionsAsync())
                .Should().Be($"charite,inria@{ownerSilo.ToParsableString()}");
            var stats = await grains.GetGrain<IManagementGrain>(0).GetDetailedGrainStatistics();
            stats.Where(s => s.GrainType.Contains("CohortSeedGrain") || s.GrainType.Contains("DatasetGrain")).Should().NotBeEmpty()
                .And.OnlyContain(s => s.SiloAddress.Equals(ownerSilo), "the subjects are read and calibrated at Charité only");

            await owner.DisposeAsync();
            await Eventually.Until(() => Task.FromResult(silos.LiveSilosOf("charite").Count), n => n == 0, TimeSpan.FromSeconds(30), "Charité's silo to be gone");
            var unavailable = await carla.PostAsync("/api/runs", Body(Seeded));
            var text = await unavailable.Content.ReadAsStringAsync();
            unavailable.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable, text);
            text.Should().Contain("no live silo");
        }
        finally
        {
            await owner.DisposeAsync();
        }
    }
}
