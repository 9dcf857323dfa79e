using System.Diagnostics;
using System.Globalization;
using DthGrains.Contracts.Catalogue;
using DthGrains.Contracts.Platform;
using DthGrains.Grains.Catalogue;
using DthGrains.Grains.Platform;
using DthGrains.Silo.Platform.Postgres;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace DthGrains.Benchmarks.Catalogue;

/// <summary>
/// The catalogue's free-text search (<see cref="CatalogueSearch.SearchAsync"/>: match, rank, facets, first page) over a
/// catalogue of synthetic entries, without and with the GIN index of <see cref="CatalogueSearchIndex"/>, in the same run
/// on one embedded server: the index against the sequential scan it replaces. A fixed catalogue of 20,000 entries (the
/// arguments, such as the seconds ops/bench.sh passes every benchmark, are not used).
/// </summary>
internal static class CatalogueSearchBenchmark
{
    private const int Entries = 20_000;

    private static readonly string[] Topics = ["glucose", "insulin", "cardiac", "renal", "pulmonary", "hepatic"];

    // The dispatcher's verbs are synchronous; a console process has no synchronization context to deadlock on.
#pragma warning disable VSTHRD002
    public static int Run(string[] args) => RunAsync().GetAwaiter().GetResult();
#pragma warning restore VSTHRD002

    private static async Task<int> RunAsync()
    {
        var folder = Path.Combine(Path.GetTempPath(), $"dthgrains-catalogue-bench-{Environment.ProcessId}");
        Console.WriteLine($"# catalogue search benchmark: {Entries:N0} published entries, embedded PostgreSQL in {folder}");
        await using var postgres = await EmbeddedPostgres.StartAsync(new EmbeddedPostgresOptions { DataDirectory = folder });
        try
        {
            await postgres.EnsureDatabaseAsync("catalogue_bench");
            var services = new ServiceCollection().AddLogging();
            services.AddDthEventStore(postgres.ConnectionStringFor("catalogue_bench"));
            services.AddSingleton<CatalogueSearch>();
            await using var provider = services.BuildServiceProvider();
            var store = provider.GetRequiredService<IDocumentStore>();
            await store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
            await store.BulkInsertDocumentsAsync(Enumerable.Range(0, Entries).Select(Entry));
            await ExecuteAsync(store, $"analyze {CatalogueSearch.Table}");

            var search = provider.GetRequiredService<CatalogueSearch>();
            var index = new CatalogueSearchIndex(store);
            // Both sides search for the same rare keyword (40 matches in 20,000), ranked, with every facet counted.
            var query = new CatalogueQuery(Text: "kw42");
            await ExecuteAsync(store, $"drop index if exists {EventStoreSetup.SchemaName}.{CatalogueSearchIndex.Name}");
            var (scan, scanned) = await BestAsync(search, query);
            await index.StartAsync(CancellationToken.None);
            var (indexed, found) = await BestAsync(search, query);
            if (scanned != found) throw new InvalidOperationException($"The index changed the result: {scanned} matches without, {found} with.");

            Print($"search without the index (sequential scan), {found} matches", scan * 1000, "ms (best)");
            Print($"search with the GIN index, {found} matches", indexed * 1000, "ms (best)");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ratio catalogue search without vs with the index: {scan / indexed:F1} (information)"));
            return 0;
        }
        finally
        {
            await postgres.StopAsync();
            try { Directory.Delete(folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static CatalogueEntryDocument Entry(int i) => new()
    {
        Id = $"entry-{i:D6}", Kind = ResourceKind.Model, Publisher = "charite", PublisherCountry = "DE", Status = ResourceStatus.Published,
        Title = $"Model {i} of {Topics[i % Topics.Length]} physiology",
        KeywordsText = $"kw{i % 500} diabetes twin", Keywords = [$"kw{i % 500}", "diabetes", "twin"],
        Description = string.Concat(Enumerable.Repeat("A personalised digital twin of human physiology calibrated to cohort data with uncertainty quantification. ", 5)) + $"Variant {i}.",
        Licence = "CC-BY-4.0", CreatedAt = DateTimeOffset.UnixEpoch, UpdatedAt = DateTimeOffset.UnixEpoch,
    };

    /// <summary>Best of 5 searches after one warm-up, and the number of matches.</summary>
    private static async Task<(double Seconds, int Matches)> BestAsync(CatalogueSearch search, CatalogueQuery query)
    {
        var viewer = new Actor("bench-researcher", "Bench", "tum", [Roles.Researcher]);
        var matches = (await search.SearchAsync(query, viewer)).Total;
        var best = double.MaxValue;
        for (var r = 0; r < 5; r++)
        {
            var clock = Stopwatch.StartNew();
            await search.SearchAsync(query, viewer);
            best = Math.Min(best, clock.Elapsed.TotalSeconds);
        }
        return (best, matches);
    }

    private static async Task ExecuteAsync(IDocumentStore store, string sql)
    {
        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static void Print(string name, double value, string unit) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name}: {value:G4} {unit}"));
}
