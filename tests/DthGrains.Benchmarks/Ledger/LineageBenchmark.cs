using System.Diagnostics;
using System.Globalization;
using DthGrains.Contracts.Platform;
using DthGrains.Domain.Catalogue;
using DthGrains.Grains.Platform;
using DthGrains.Grains.Provenance;
using DthGrains.Silo.Platform.Postgres;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using EventLog = DthGrains.Grains.Platform.EventLog;

namespace DthGrains.Benchmarks.Ledger;

/// <summary>
/// An auditor's lineage query ("what used this dataset version", depth 2) over a ledger of 50,000 recorded data reads
/// (200 datasets' access logs), in the same run on one embedded server: a query that finds the lineage store empty and
/// reads the whole ledger into it (what every query cost before the facts were kept, and what a rebuild costs) against
/// a query that reads only the one event recorded since the previous one. Both must give the same graph. Also: what the
/// facts cost in the silo's memory (nothing kept: they are in PostgreSQL) and on disk. The arguments are not used.
/// </summary>
internal static class LineageBenchmark
{
    private const int Datasets = 200;
    private const int ReadsPerDataset = 250;
    private static readonly CommandContext Context = CommandContext.ForSystem("bench", "lineage-benchmark");
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    // The dispatcher's verbs are synchronous; a console process has no synchronization context to deadlock on.
#pragma warning disable VSTHRD002
    public static int Run(string[] args) => RunAsync().GetAwaiter().GetResult();
#pragma warning restore VSTHRD002

    private static async Task<int> RunAsync()
    {
        var folder = Path.Combine(Path.GetTempPath(), $"dthgrains-lineage-bench-{Environment.ProcessId}");
        Console.WriteLine($"# lineage benchmark: {Datasets * ReadsPerDataset:N0} recorded reads of {Datasets} datasets, embedded PostgreSQL in {folder}");
        await using var postgres = await EmbeddedPostgres.StartAsync(new EmbeddedPostgresOptions { DataDirectory = folder });
        try
        {
            await postgres.EnsureDatabaseAsync("lineage_bench");
            var services = new ServiceCollection().AddLogging();
            services.AddDthEventStore(postgres.ConnectionStringFor("lineage_bench"));
            await using var provider = services.BuildServiceProvider();
            var store = provider.GetRequiredService<IDocumentStore>();
            await store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
            var log = provider.GetRequiredService<EventLog>();
            for (var d = 0; d < Datasets; d++)
                await log.AppendAsync(CatalogueEventTypes.AccessLogOf("charite", Dataset(d)), 0, [.. Enumerable.Range(0, ReadsPerDataset).Select(r => Read(d, r))], Context);

            var reader = new LedgerReader(store);
            // As autovacuum would have it on a ledger that grew over time (a bulk load leaves the planner without statistics).
            await using (var connection = store.Storage.Database.CreateConnection())
            {
                await connection.OpenAsync();
                await using var analyze = new Npgsql.NpgsqlCommand($"analyze {store.Options.Events.DatabaseSchemaName}.mt_events", connection);
                await analyze.ExecuteNonQueryAsync();
            }
            const string root = "resource:ds-007@1.0.0";
            // Whole-ledger reads: best of 3, each into an emptied store. Around the last, what the silo keeps in memory
            // after reading the whole ledger (live objects before and after, the service kept alive; the first reads
            // paid for what a process sets up once).
            var whole = double.MaxValue;
            long keptBytes = 0;
            for (var r = 0; r < 3; r++)
            {
                await LineageStore.EmptyAsync(store);
                var heapBefore = r == 2 ? LiveHeapBytes() : 0;
                var clock = Stopwatch.StartNew();
                var service = new LineageService(reader, store);
                _ = await service.LineageAsync(root, 2) ?? throw new InvalidOperationException($"{root} not found");
                whole = Math.Min(whole, clock.Elapsed.TotalSeconds);
                if (r == 2) keptBytes = LiveHeapBytes() - heapBefore;
                GC.KeepAlive(service);
            }
            var storeBytes = await StoreBytesAsync(store);

            // The warm service: one read recorded before each query, best of 10.
            var warm = new LineageService(reader, store);
            await warm.LineageAsync(root, 2);
            var incremental = double.MaxValue;
            var next = ReadsPerDataset;
            Domain.Provenance.Lineage? last = null;
            for (var r = 0; r < 10; r++, next++)
            {
                await log.AppendAsync(CatalogueEventTypes.AccessLogOf("charite", Dataset(7)), next, [Read(7, next)], Context);
                var clock = Stopwatch.StartNew();
                last = await warm.LineageAsync(root, 2);
                incremental = Math.Min(incremental, clock.Elapsed.TotalSeconds);
            }
            await LineageStore.EmptyAsync(store);
            var fresh = (await new LineageService(reader, store).LineageAsync(root, 2))!;
            if (last!.Graph.Nodes.Count != fresh.Graph.Nodes.Count || last.Graph.Edges.Count != fresh.Graph.Edges.Count || last.Evidence.Count != fresh.Evidence.Count)
                throw new InvalidOperationException($"The warm service's lineage ({last.Graph.Nodes.Count} nodes, {last.Graph.Edges.Count} edges) differs from a whole read's ({fresh.Graph.Nodes.Count}, {fresh.Graph.Edges.Count}).");

            var check = Stopwatch.StartNew();
            var verification = await warm.VerifyAsync(TimeProvider.System);
            if (!verification.Ok) throw new InvalidOperationException($"The lineage store differs from the ledger: {verification.Differences} differences.");

            Console.WriteLine($"lineage of {root}: {fresh.Graph.Nodes.Count} nodes, {fresh.Graph.Edges.Count} edges, {fresh.Evidence.Count} events");
            Print("lineage store checked against the ledger (verify-lineage)", check.Elapsed.TotalMilliseconds,
                $"ms ({verification.EventsRead} events read again, {verification.Nodes} nodes, {verification.Edges} edges)");
            Print("lineage query reading the whole ledger", whole * 1000, "ms (best of 3)");
            Print("lineage query reading what is new (one event)", incremental * 1000, "ms (best of 10)");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ratio lineage query whole ledger vs incremental: {whole / incremental:F1} (information)"));
            Print("silo memory kept after reading the whole ledger", keptBytes / 1024.0 / 1024.0, string.Create(CultureInfo.InvariantCulture,
                $"MB ({keptBytes / (double)(Datasets * ReadsPerDataset):F0} bytes per recorded read)"));
            Print("lineage store in PostgreSQL (tables and indexes)", storeBytes / 1024.0 / 1024.0, string.Create(CultureInfo.InvariantCulture,
                $"MB ({storeBytes / (double)(Datasets * ReadsPerDataset):F0} bytes per recorded read)"));
            return 0;
        }
        finally
        {
            await postgres.StopAsync();
            try { Directory.Delete(folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static async Task<long> StoreBytesAsync(IDocumentStore store)
    {
        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync();
        await using var vacuum = new Npgsql.NpgsqlCommand($"vacuum {string.Join(", ", LineageStore.TableNames)}", connection);
        await vacuum.ExecuteNonQueryAsync();
        await using var size = new Npgsql.NpgsqlCommand("select sum(pg_total_relation_size(t::regclass))::bigint from unnest(@tables) t", connection);
        size.Parameters.AddWithValue("tables", LineageStore.TableNames.ToArray());
        return (long)(await size.ExecuteScalarAsync())!;
    }

    /// <summary>Bytes of live objects: the heap after a full, blocking, compacting collection, less its fragmentation.</summary>
    private static long LiveHeapBytes()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        var info = GC.GetGCMemoryInfo(GCKind.Any);
        return info.HeapSizeBytes - info.FragmentedBytes;
    }

    private static void Print(string name, double value, string unit) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name}: {value:G4} {unit}"));

    private static string Dataset(int d) => $"ds-{d:D3}";

    private static DataAccessed Read(int d, int r) =>
        new(Dataset(d), "charite", "1.0.0", $"researcher-{r % 40}", "tum", "scientific-research", $"grant-{d % 20}", 3, Start.AddMinutes(r), [$"p{r}", $"p{r + 1}", $"p{r + 2}"], "read");
}
