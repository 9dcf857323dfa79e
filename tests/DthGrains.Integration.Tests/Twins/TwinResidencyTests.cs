using System.Net;
using DthGrains.Contracts.Catalogue;
using DthGrains.Contracts.Twins;
using DthGrains.Integration.Tests.Infrastructure;
using static DthGrains.Integration.Tests.Twins.TwinTestData;

namespace DthGrains.Integration.Tests.Twins;

/// <summary>Computation goes to the data: a twin's work on a subject runs on the owning institution's silo, never where the twin is driven.</summary>
[Collection(PostgresCollection.Name)]
public sealed class TwinResidencyTests
{
    [Fact]
    public async Task A_twin_driven_from_another_institution_computes_on_the_owner_silo_and_answers_503_without_it()
    {
        await using var pair = await OwnerAndGuest.StartAsync("twin-residency");
        var carla = pair.Researcher;
        await ValidatedTwinAsync(carla, CharitéData, "synth-00002");

        var compute = pair.GuestGrains.GetGrain<ISubjectComputeGrain>(DatasetKeys.For("charite", CharitéData));
        (await compute.HostingInstitutionsAsync()).Should().Be($"charite,inria@{pair.OwnerSilo.ToParsableString()}");
        var stats = await pair.GuestGrains.GetGrain<IManagementGrain>(0).GetDetailedGrainStatistics();
        stats.Where(s => s.GrainType.Contains("SubjectComputeGrain") || s.GrainType.Contains("DatasetGrain")).Should().NotBeEmpty()
            .And.OnlyContain(s => s.SiloAddress.Equals(pair.OwnerSilo), "the subject's resources are read and computed on at Charité only");

        // Without a live silo of the owner, the twin's work on the data is unavailable, not moved.
        var waiting = await CreateAsync(carla);
        await pair.StopOwnerAsync();
        var (status, text) = await PostRaw(carla, $"/api/twins/{waiting}/link", new { datasetId = CharitéData, subject = "synth-00002" });
        status.Should().Be(HttpStatusCode.ServiceUnavailable, text);
        text.Should().Contain("no live silo");
    }
}
