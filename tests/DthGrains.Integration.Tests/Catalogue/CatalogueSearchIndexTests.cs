using DthGrains.Grains.Catalogue;
using DthGrains.Integration.Tests.Infrastructure;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace DthGrains.Integration.Tests.Catalogue;

/// <summary>Free-text search reads a GIN index on the very expression it matches, and Marten's schema migration keeps it.</summary>
[Collection(HostCollection.Name)]
public sealed class CatalogueSearchIndexTests(HostFixture fixture)
{
    private async Task<string> PlanAsync(NpgsqlConnection connection)
    {
        // The planner prefers a sequential scan over a test's few entries; forbidding it shows whether the index can serve the search.
        await using var tx = await connection.BeginTransactionAsync();
        await using (var off = new NpgsqlCommand("set local enable_seqscan = off", connection, tx)) await off.ExecuteNonQueryAsync();
        await using var explain = new NpgsqlCommand(
            $"explain select id from {CatalogueSearch.Table} where ({CatalogueSearch.Vector}) @@ websearch_to_tsquery('english', 'glucose insulin')", connection, tx);
        var lines = new List<string>();
        await using (var reader = await explain.ExecuteReaderAsync())
            while (await reader.ReadAsync()) lines.Add(reader.GetString(0));
        return string.Join('\n', lines);
    }

    private async Task<string?> IndexMethodAsync(NpgsqlConnection connection)
    {
        await using var command = new NpgsqlCommand(
            "select am.amname from pg_class c join pg_am am on am.oid = c.relam join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'dth' and c.relname = @name", connection);
        command.Parameters.AddWithValue("name", CatalogueSearchIndex.Name);
        return (string?)await command.ExecuteScalarAsync();
    }

    [Fact]
    public async Task The_search_expression_is_served_by_a_gin_index()
    {
        await using var connection = new NpgsqlConnection(fixture.Host.Host.ConnectionString);
        await connection.OpenAsync();

        (await IndexMethodAsync(connection)).Should().Be("gin");
        (await PlanAsync(connection)).Should().Contain($"Bitmap Index Scan on {CatalogueSearchIndex.Name}");
    }

    [Fact]
    public async Task Marten_applying_its_schema_again_keeps_the_index()
    {
        // What every later silo start does: Marten compares its configuration with the database and applies the difference.
        var store = fixture.Host.Services.GetRequiredService<IDocumentStore>();
        await store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();

        await using var connection = new NpgsqlConnection(fixture.Host.Host.ConnectionString);
        await connection.OpenAsync();
        (await IndexMethodAsync(connection)).Should().Be("gin");
        await store.Storage.Database.AssertDatabaseMatchesConfigurationAsync();
    }
}
