using Marten;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace DthGrains.Grains.Platform;

/// <summary>
/// Stores event bodies and read-model documents compressed with lz4 instead of PostgreSQL's default pglz, where the
/// server has lz4: a run's shard events are tens to hundreds of kilobytes of base64, and a completed run's document
/// holds its percentile bands (tens of kilobytes of numbers), which pglz compresses slowly and barely (a pgbench insert
/// of a 65 KB event, measured once by hand: 2.0 ms with pglz, 1.2 ms with lz4; in a profile of PostgreSQL under the
/// runs benchmark, pglz on the run documents' updates was 4% of its CPU). Only new values are affected; nothing is
/// rewritten. Runs where the schema is applied at start (after Marten's own changes); production applies it with the
/// schema migration job.
/// </summary>
public sealed class EventStorageTuning(IDocumentStore store, ILogger<EventStorageTuning> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var schema = store.Options.Events.DatabaseSchemaName;
        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(cancellationToken);
        await using (var probe = new NpgsqlCommand("select 'lz4' = any(enumvals) from pg_settings where name = 'default_toast_compression'", connection))
        {
            if (await probe.ExecuteScalarAsync(cancellationToken) is not true)
            {
                logger.LogInformation("This PostgreSQL has no lz4: event bodies and documents keep the default compression");
                return;
            }
        }
        // The events table, every document table and the run rows beside the stream (RunRowsStore): their column
        // 'data', where it is not lz4 already (a restart, another silo): no ALTER, so no lock on a table while others
        // write to it.
        var pending = new List<string>();
        await using (var current = new NpgsqlCommand(
            """
            select quote_ident(n.nspname) || '.' || quote_ident(c.relname)
            from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
            where n.nspname = $1 and c.relkind = 'r' and a.attname = 'data' and not a.attisdropped
              and (c.relname in ('mt_events', 'run_rows') or c.relname like 'mt\_doc\_%') and a.attcompression <> 'l'
            order by c.relname
            """, connection))
        {
            current.Parameters.Add(new NpgsqlParameter { Value = schema });
            await using var reader = await current.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken)) pending.Add(reader.GetString(0));
        }
        foreach (var table in pending)
        {
            await using var alter = new NpgsqlCommand($"alter table {table} alter column data set compression lz4", connection);
            await alter.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
