using DthGrains.Grains.Catalogue;
using DthGrains.Grains.Federation;
using DthGrains.Integration.Tests.Infrastructure;
using Microsoft.Extensions.Options;

namespace DthGrains.Integration.Tests.Catalogue;

/// <summary>An institution's payload database, prepared on first use by whichever callers and silos get there at once.</summary>
public sealed class PayloadDatabasesTests
{
    [Fact]
    public async Task Callers_and_silos_preparing_a_fresh_payload_database_at_once_all_get_it()
    {
        // PostgreSQL's CREATE TABLE IF NOT EXISTS is not safe against itself: two sessions creating one table at once can
        // fail one of them (a duplicate in pg_type). A seeding silo and a first upload met this way.
        for (int round = 0; round < 6; round++)
        {
            var template = await TestPostgres.CreateDatabaseAsync("payload", orleansSchema: false);
            var federation = Options.Create(new FederationOptions { Institution = "charite" });
            var options = Options.Create(new PayloadDatabaseOptions { DeriveFrom = template });
            // Two silos of one institution, four callers each.
            var silos = new[] { new PayloadDatabases(options, federation), new PayloadDatabases(options, federation) };
            using var start = new ManualResetEventSlim();
            var callers = silos.SelectMany(silo => Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
            {
                start.Wait();
                return await silo.ConnectionStringFor("charite");
            }))).ToList();
            start.Set();
            var connections = await Task.WhenAll(callers);
            connections.Distinct().Should().ContainSingle($"round {round}: every caller gets the one payload database");

            // And it holds the tables: a version is written and read back.
            var store = new PayloadStore(silos[0]);
            (await store.VersionExistsAsync("charite", "ds-a", "1.0.0")).Should().BeFalse();
        }
    }
}
