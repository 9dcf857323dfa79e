using Marten;
using Microsoft.Extensions.Hosting;
using DthGrains.Grains.Platform;
using Npgsql;

namespace DthGrains.Grains.Catalogue;

/// <summary>
/// A GIN index on the catalogue's weighted search vector (<see cref="CatalogueSearch.Vector"/>), so a free-text search
/// reads the index instead of parsing every entry's title, keywords and description (a sequential scan grows with the
/// catalogue). Marten's own full-text index cannot weight fields, so the index is created here, after Marten's schema
/// changes, where the schema is applied at start (development, tests, and the production migration job), and Marten is
/// told to leave it alone (<see cref="IgnoredByMarten"/>) instead of dropping it as an index it does not know.
/// </summary>
public sealed class CatalogueSearchIndex(IDocumentStore store) : IHostedService
{
    public const string Name = "mt_doc_catalogueentrydocument_idx_search";

    /// <summary>Serialises the creation between silos starting at once (two concurrent "if not exists" can both try).</summary>
    private const long CreationLock = 0x4454_4847_4349_4458; // "DTHGCIDX"

    public static void IgnoredByMarten(StoreOptions options) => options.Schema.For<CatalogueEntryDocument>().IgnoreIndex(Name);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(cancellationToken);
        // Already there (a restart, another silo): no CREATE, which would take a share lock on the table even to do nothing.
        await using (var exists = new NpgsqlCommand($"select to_regclass('{EventStoreSetup.SchemaName}.{Name}') is not null", connection))
        {
            if (await exists.ExecuteScalarAsync(cancellationToken) is true) return;
        }
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        await using (var lockCommand = new NpgsqlCommand($"select pg_advisory_xact_lock({CreationLock})", connection, tx))
            await lockCommand.ExecuteNonQueryAsync(cancellationToken);
        await using (var create = new NpgsqlCommand($"create index if not exists {Name} on {CatalogueSearch.Table} using gin (({CatalogueSearch.Vector}))", connection, tx))
            await create.ExecuteNonQueryAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
