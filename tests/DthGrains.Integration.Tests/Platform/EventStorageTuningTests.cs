using DthGrains.Integration.Tests.Infrastructure;
using Npgsql;

namespace DthGrains.Integration.Tests.Platform;

/// <summary>Event bodies and documents are stored with lz4 where the server has it (it does on the PostgreSQL the scripts install).</summary>
[Collection(HostCollection.Name)]
public sealed class EventStorageTuningTests(HostFixture fixture)
{
    [Fact]
    public async Task Event_bodies_and_documents_are_compressed_with_lz4_when_the_server_has_it()
    {
        await using var connection = new NpgsqlConnection(fixture.Host.Host.ConnectionString);
        await connection.OpenAsync();
        await using var probe = new NpgsqlCommand("select 'lz4' = any(enumvals) from pg_settings where name = 'default_toast_compression'", connection);
        var hasLz4 = await probe.ExecuteScalarAsync() is true;
        foreach (var table in new[] { "dth.mt_events", "dth.run_rows", "dth.mt_doc_rundocument", "dth.mt_doc_catalogueentrydocument" })
        {
            await using var column = new NpgsqlCommand(
                $"select attcompression::text from pg_attribute where attrelid = '{table}'::regclass and attname = 'data'", connection);
            var compression = (string?)await column.ExecuteScalarAsync();
            // 'l' is lz4; an empty value is the server's default (pglz).
            compression.Should().Be(hasLz4 ? "l" : "", table);
        }
    }
}
