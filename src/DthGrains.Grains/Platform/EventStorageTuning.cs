using Marten;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace DthGrains.Grains.Platform;

/// <summary>
/// Stores event bodies compressed with lz4 instead of PostgreSQL's default pglz, where the server has lz4: a run's shard
/// events are tens to hundreds of kilobytes of base64, which pglz compresses slowly and barely (a pgbench insert of a
/// 65 KB event, measured once by hand: 2.0 ms with pglz, 1.2 ms with lz4). Only new values are affected; nothing is rewritten. Runs where
/// the schema is applied at start (after Marten's own changes); production applies it with the schema migration job.
/// </summary>
public sealed class EventStorageTuning(IDocumentStore store, ILogger<EventStorageTuning> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var table = $"{store.Options.Events.DatabaseSchemaName}.mt_events";
        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(cancellationToken);
        await using (var probe = new NpgsqlCommand("select 'lz4' = any(enumvals) from pg_settings where name = 'default_toast_compression'", connection))
        {
            if (await probe.ExecuteScalarAsync(cancellationToken) is not true)
            {
                logger.LogInformation("This PostgreSQL has no lz4: event bodies keep the default compression");
                return;
            }
        }
        // Already so (a restart, another silo): no ALTER, so no lock on the events table while others append.
        await using (var current = new NpgsqlCommand($"select attcompression::text from pg_attribute where attrelid = '{table}'::regclass and attname = 'data'", connection))
        {
            if (await current.ExecuteScalarAsync(cancellationToken) is "l") return;
        }
        await using var alter = new NpgsqlCommand($"alter table {table} alter column data set compression lz4", connection);
        await alter.ExecuteNonQueryAsync(cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
