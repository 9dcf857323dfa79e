using System.Net;
using DthGrains.Contracts.Catalogue;
using DthGrains.Contracts.Twins;
using DthGrains.Grains.Federation;
using DthGrains.Integration.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static DthGrains.Integration.Tests.Twins.TwinTestData;

namespace DthGrains.Integration.Tests.Twins;

/// <summary>Computation goes to the data: a twin's work on a subject runs on the owning institution's silo, never where the twin is driven.</summary>
[Collection(PostgresCollection.Name)]
public sealed class TwinResidencyTests
{
    [Fact]
    public async Task A_twin_driven_from_another_institution_computes_on_the_owner_silo_and_answers_503_without_it()
    {
        var connectionString = await TestPostgres.CreateDatabaseAsync("twin_residency", orleansSchema: true);
        var clusterId = $"twin-residency-{Guid.NewGuid():N}";
        var key = Path.Combine(TestPostgres.NewTemporaryFolder("twin-residency-key"), "key.pem");
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
            await ValidatedTwinAsync(carla, CharitéData, "synth-00002");

            var ownerSilo = owner.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress;
            var compute = tum.Services.GetRequiredService<IGrainFactory>().GetGrain<ISubjectComputeGrain>(DatasetKeys.For("charite", CharitéData));
            (await compute.HostingInstitutionsAsync()).Should().Be($"charite,inria@{ownerSilo.ToParsableString()}");
            var stats = await tum.Services.GetRequiredService<IGrainFactory>().GetGrain<IManagementGrain>(0).GetDetailedGrainStatistics();
            stats.Where(s => s.GrainType.Contains("SubjectComputeGrain") || s.GrainType.Contains("DatasetGrain")).Should().NotBeEmpty()
                .And.OnlyContain(s => s.SiloAddress.Equals(ownerSilo), "the subject's resources are read and computed on at Charité only");

            // Without a live silo of the owner, the twin's work on the data is unavailable, not moved.
            var waiting = await CreateAsync(carla);
            await owner.DisposeAsync();
            await Eventually.Until(() => Task.FromResult(silos.LiveSilosOf("charite").Count), n => n == 0, TimeSpan.FromSeconds(30), "Charité's silo to be gone");
            var (status, text) = await PostRaw(carla, $"/api/twins/{waiting}/link", new { datasetId = CharitéData, subject = "synth-00002" });
            status.Should().Be(HttpStatusCode.ServiceUnavailable, text);
            text.Should().Contain("no live silo");
        }
        finally
        {
            await owner.DisposeAsync();
        }
    }
}
