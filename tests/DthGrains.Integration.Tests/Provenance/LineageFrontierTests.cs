using DthGrains.Grains.Provenance;
using DthGrains.Integration.Tests.Infrastructure;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using static DthGrains.Integration.Tests.Catalogue.CatalogueTestData;

namespace DthGrains.Integration.Tests.Provenance;

/// <summary>
/// The silo's lineage reads only what is new since its last query, by global sequence. A transaction that took its
/// sequence before a later one committed, and commits after a query read that later one, is still read; a sequence
/// taken by a transaction that rolled back does not hold the reader for ever. The transactions here are held open by
/// hand on the host's own database, as a slow append would hold them.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class LineageFrontierTests
{
    [Fact]
    public async Task An_event_committed_after_a_later_one_was_read_is_in_the_next_lineage_and_an_abandoned_sequence_is_given_up()
    {
        await using var host = await TestHost.StartAsync("charite", alsoHosts: []);
        var lineage = host.Services.GetRequiredService<LineageService>();
        var store = host.Services.GetRequiredService<IDocumentStore>();
        var schema = store.Options.Events.DatabaseSchemaName;
        var modeller = host.ClientAs("modeller", "charite");
        (await modeller.PostAsync("/api/catalogue/resources", Draft("frontier-model-a", "model", ModelMetadata()))).EnsureSuccessStatusCode();

        // A slow append: its transaction takes the next sequence and has not committed yet.
        await using var slow = store.Storage.Database.CreateConnection();
        await slow.OpenAsync();
        await using var held = await slow.BeginTransactionAsync();
        var late = await Scalar<long>(slow, held, $"select nextval('{schema}.mt_events_sequence')");

        // Meanwhile another draft commits (a higher sequence), and a lineage query reads it.
        (await modeller.PostAsync("/api/catalogue/resources", Draft("frontier-model-b", "model", ModelMetadata()))).EnsureSuccessStatusCode();
        (await lineage.LineageAsync("resource:frontier-model-b", 1)).Should().NotBeNull();
        var (low, gaps) = await lineage.FrontierAsync();
        gaps.Should().Contain(late);
        low.Should().BeLessThan(late);

        // The slow append writes its event under the sequence it took (a copy of the first draft's, as another
        // resource's stream) and commits: the next query has it.
        await CopyStreamAsync(slow, held, schema, "resource:frontier-model-a", "resource:frontier-model-late", late);
        (await lineage.LineageAsync("resource:frontier-model-late", 1)).Should().BeNull("it is not committed yet");
        await held.CommitAsync();
        var found = await lineage.LineageAsync("resource:frontier-model-late", 1);
        found.Should().NotBeNull();
        found!.Evidence.Should().ContainSingle(e => e.Stream == "resource:frontier-model-late" && e.Sequence == late);
        (await lineage.FrontierAsync()).Gaps.Should().NotContain(late);

        // A transaction takes a sequence and rolls back: the gap is given up once it has ended and the margin has passed.
        long abandoned;
        await using (var rolledBack = await slow.BeginTransactionAsync())
        {
            abandoned = await Scalar<long>(slow, rolledBack, $"select nextval('{schema}.mt_events_sequence')");
            (await modeller.PostAsync("/api/catalogue/resources", Draft("frontier-model-c", "model", ModelMetadata()))).EnsureSuccessStatusCode();
            (await lineage.FrontierAsync()).Gaps.Should().Contain(abandoned);
            await rolledBack.RollbackAsync();
        }
        var settled = await Eventually.Until(() => lineage.FrontierAsync(), f => !f.Gaps.Contains(abandoned), TimeSpan.FromSeconds(30),
            "the abandoned sequence to be given up");
        settled.Low.Should().BeGreaterThan(abandoned);
        (await lineage.LineageAsync("resource:frontier-model-c", 1)).Should().NotBeNull();
    }

    private static async Task<T> Scalar<T>(NpgsqlConnection connection, NpgsqlTransaction tx, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection, tx);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Copies a stream's first event (and its stream row) to a new stream id, with the given sequence, column by column.</summary>
    private static async Task CopyStreamAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string schema, string from, string to, long sequence)
    {
        async Task CopyAsync(string table, Dictionary<string, string> replaced, string where)
        {
            var columns = new List<string>();
            await using (var command = new NpgsqlCommand(
                "select column_name from information_schema.columns where table_schema = @schema and table_name = @table order by ordinal_position", connection, tx))
            {
                command.Parameters.AddWithValue("schema", schema);
                command.Parameters.AddWithValue("table", table);
                await using var reader = await command.ExecuteReaderAsync();
                while (await reader.ReadAsync()) columns.Add(reader.GetString(0));
            }
            var values = columns.Select(c => replaced.TryGetValue(c, out var v) ? v : c);
            await using var insert = new NpgsqlCommand(
                $"insert into {schema}.{table} ({string.Join(", ", columns)}) select {string.Join(", ", values)} from {schema}.{table} where {where}", connection, tx);
            insert.Parameters.AddWithValue("from", from);
            insert.Parameters.AddWithValue("to", to);
            insert.Parameters.AddWithValue("sequence", sequence);
            insert.Parameters.AddWithValue("one", 1L);
            await insert.ExecuteNonQueryAsync();
        }

        await CopyAsync("mt_streams", new() { ["id"] = "@to", ["version"] = "@one" }, "id = @from");
        await CopyAsync("mt_events", new() { ["seq_id"] = "@sequence", ["id"] = "gen_random_uuid()", ["stream_id"] = "@to" }, "stream_id = @from and version = 1");
    }
}
