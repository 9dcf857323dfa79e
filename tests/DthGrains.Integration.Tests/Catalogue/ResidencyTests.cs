using System.Net;
using DthGrains.Contracts.Catalogue;
using DthGrains.Contracts.Platform;
using DthGrains.Integration.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using static DthGrains.Integration.Tests.Catalogue.CatalogueTestData;

namespace DthGrains.Integration.Tests.Catalogue;

/// <summary>Invariant 4: a dataset's grain and payload never live on another institution's silo or database.</summary>
[Collection(PostgresCollection.Name)]
public sealed class ResidencyTests
{
    [Fact]
    public async Task A_dataset_lives_only_on_its_institution_silo_and_database_and_is_unavailable_without_it()
    {
        var connectionString = await TestPostgres.CreateDatabaseAsync("residency", orleansSchema: true);
        var clusterId = $"residency-{Guid.NewGuid():N}";
        var key = Path.Combine(TestPostgres.NewTemporaryFolder("residency-key"), "key.pem");
        await using var hostA = await TestHost.StartAsync("inst-a", connectionString: connectionString, clusterId: clusterId, alsoHosts: [], signingKeyPath: key);
        var hostB = await TestHost.StartAsync("inst-b", connectionString: connectionString, clusterId: clusterId, alsoHosts: [], signingKeyPath: key);
        try
        {
            await Eventually.Until(() => Task.FromResult(hostA.Services.GetRequiredService<Grains.Federation.InstitutionSilos>().LiveSilosOf("inst-b").Count), n => n == 1,
                TimeSpan.FromSeconds(30), "inst-b's silo to be visible from inst-a");

            // B's steward works through A's HTTP endpoint: the request crosses to B's silo, the data does not move.
            var steward = hostA.ClientAs("steward", "inst-b");
            (await steward.PostAsync("/api/catalogue/resources", Draft("b-cohort", "dataset", RestrictedDatasetMetadata()))).EnsureSuccessStatusCode();
            (await steward.PostAsync("/api/catalogue/resources/b-cohort/versions?version=1.0.0", AsFhir(Bundle("p1", "p2")))).StatusCode.Should().Be(HttpStatusCode.Created);

            var grainFromA = hostA.Services.GetRequiredService<IGrainFactory>().GetGrain<IDatasetGrain>(DatasetKeys.For("inst-b", "b-cohort"));
            (await grainFromA.HostingInstitutionsAsync()).Should().StartWith("inst-b@", "the grain runs on B's silo, asked from A");

            (await PayloadRows(connectionString, "inst-b", "b-cohort")).Should().Be(4);
            (await PayloadRows(connectionString, "inst-a", "b-cohort")).Should().Be(0);

            await hostB.DisposeAsync();
            await Eventually.Until(() => Task.FromResult(hostA.Services.GetRequiredService<Grains.Federation.InstitutionSilos>().LiveSilosOf("inst-b").Count), n => n == 0,
                TimeSpan.FromSeconds(30), "inst-b's silo to be gone");

            var read = await steward.GetAsync("/api/catalogue/resources/b-cohort/versions/1.0.0/payload");
            read.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
            (await read.Content.ReadAsStringAsync()).Should().Contain("no live silo");

            // Called directly, the grain is not placed on A either: placement fails instead.
            var direct = async () => await grainFromA.ReadAsync("1.0.0", CommandContext.ForSystem("inst-b"));
            await direct.Should().ThrowAsync<Exception>();
            var management = hostA.Services.GetRequiredService<IGrainFactory>().GetGrain<IManagementGrain>(0);
            var stats = await management.GetDetailedGrainStatistics();
            stats.Should().NotContain(s => s.GrainType.Contains("DatasetGrain"), "no activation of B's dataset grain anywhere else");
        }
        finally
        {
            await hostB.DisposeAsync();
        }
    }

    private static async Task<long> PayloadRows(string federation, string institution, string datasetId)
    {
        var builder = new NpgsqlConnectionStringBuilder(federation);
        builder.Database = $"{builder.Database}_payload_{institution.Replace('-', '_')}";
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        try
        {
            await connection.OpenAsync();
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.InvalidCatalogName)
        {
            return 0;
        }
        await using var command = new NpgsqlCommand("select count(*) from information_schema.tables where table_name = 'dataset_resources'", connection);
        if ((long)(await command.ExecuteScalarAsync())! == 0) return 0;
        await using var rows = new NpgsqlCommand("select count(*) from dataset_resources where dataset_id = @d", connection);
        rows.Parameters.AddWithValue("d", datasetId);
        return (long)(await rows.ExecuteScalarAsync())!;
    }
}
