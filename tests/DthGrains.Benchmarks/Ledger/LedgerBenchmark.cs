using System.Diagnostics;
using System.Globalization;
using DthGrains.Contracts.Platform;
using DthGrains.Grains.Platform;
using DthGrains.Silo.Platform.Postgres;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using EventLog = DthGrains.Grains.Platform.EventLog;

namespace DthGrains.Benchmarks.Ledger;

/// <summary>A benchmark-only event: a small body like a governance decision's.</summary>
public sealed record BenchDecision(string Request, string Decision, string Reason, int Round, DateTimeOffset DecidedAt);

/// <summary>
/// The event store with the hash chain against raw PostgreSQL, measured in the same run on one embedded server:
/// (a) appends with the chain against without it; (b) 8 concurrent writers, one event per command, against pgbench
/// running the raw SQL of a stream-version update plus an event insert; (c) 10 events per transaction against raw
/// 10-row inserts; (d) replaying a 100,000-event stream against a raw ordered COPY of the same rows.
/// Each side reports its best of several rounds, which keeps the ratios robust to other load on the machine.
/// </summary>
internal static class LedgerBenchmark
{
    private const int Writers = 8;
    private const string Pgbench = "/usr/lib/postgresql/15/bin/pgbench";
    private static readonly CommandContext Context = CommandContext.ForSystem("bench", "ledger-benchmark");

    // The dispatcher's verbs are synchronous; a console process has no synchronization context to deadlock on.
#pragma warning disable VSTHRD002
    public static int Run(string[] args) => RunAsync(args).GetAwaiter().GetResult();
#pragma warning restore VSTHRD002

    private static async Task<int> RunAsync(string[] args)
    {
        var seconds = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 3;
        if (args.Length > 1) EventLog.MaxBatchesInFlight = int.Parse(args[1], CultureInfo.InvariantCulture);
        var only = args.Length > 2 ? args[2] : "abcd";
        var folder = Path.Combine(Path.GetTempPath(), $"dthgrains-bench-{Environment.ProcessId}");
        Console.WriteLine($"# ledger benchmark: embedded PostgreSQL in {folder}, {Environment.ProcessorCount} cores, {seconds} s per measurement, group commit with up to {EventLog.MaxBatchesInFlight} batches in flight");
        await using var postgres = await EmbeddedPostgres.StartAsync(new EmbeddedPostgresOptions { DataDirectory = folder });
        try
        {
            await postgres.EnsureDatabaseAsync("ledger_bench");
            var connectionString = postgres.ConnectionStringFor("ledger_bench");
            var services = new ServiceCollection().AddLogging();
            services.AddDthEventStore(connectionString);
            await using var provider = services.BuildServiceProvider();
            await provider.GetRequiredService<IDocumentStore>().Storage.ApplyAllConfiguredChangesToDatabaseAsync();
            var log = provider.GetRequiredService<EventLog>();
            var raw = new RawSql(postgres, "ledger_bench");
            await raw.CreateTablesAsync();

            if (only.Contains('a')) await ChainCostAsync(log, provider.GetRequiredService<IDocumentStore>(), seconds);
            if (only.Contains('b')) await ConcurrentWritersAsync(log, raw, seconds);
            if (only.Contains('c')) await BatchedAppendsAsync(log, raw, seconds);
            if (only.Contains('d')) await ReplayAsync(log, connectionString, seconds);
            return 0;
        }
        finally
        {
            await postgres.StopAsync();
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }

    /// <summary>
    /// (a) The same concurrent one-event appends with the chain on and off, in back-to-back pairs: the ratio is the
    /// median of the pairs' ratios, so load that comes and goes on the machine hits both sides of a pair alike.
    /// </summary>
    private static async Task ChainCostAsync(EventLog log, IDocumentStore store, double seconds)
    {
        const int Pairs = 7;
        Console.WriteLine($"# (a) {Writers} writers, one event per append, with and without the hash chain ({Pairs} back-to-back pairs, median ratio)");
        await Writers1Async(log, seconds / 4, "warm"); // warm-up: JIT, pools, prepared statements
        var ratios = new List<double>();
        double with = 0, without = 0;
        for (var pair = 0; pair < Pairs; pair++)
        {
            // Alternate which side goes first, so a trend in the load favours neither.
            var first = pair % 2 == 0;
            log.ChainEnabled = first;
            var a = await Writers1Async(log, seconds / 2, $"a{pair}");
            log.ChainEnabled = !first;
            var b = await Writers1Async(log, seconds / 2, $"b{pair}");
            var (chained, plain) = first ? (a, b) : (b, a);
            ratios.Add(chained / plain);
            with = Math.Max(with, chained);
            without = Math.Max(without, plain);
        }
        log.ChainEnabled = true;
        ratios.Sort();
        Print("append with chain (best)", with, "events/s");
        Print("append without chain (best)", without, "events/s");
        Print("pair ratios", ratios[0], $"to {ratios[^1].ToString("F2", CultureInfo.InvariantCulture)}");
        Ratio("append throughput with chain vs without", ratios[Pairs / 2], 0.9);
        var perEvent = HashMicroseconds(store);
        Print("chain CPU per event (serialize body and envelope, canonicalize, SHA-256)", perEvent, "us");
        Print("chain CPU share of one core at the chained rate", perEvent * with / 1e6 * 100, "%");
    }

    /// <summary>What the chain adds to one append, timed alone: the same steps EventLog takes for each event.</summary>
    private static double HashMicroseconds(IDocumentStore store)
    {
        var serializer = store.Options.Serializer();
        var headers = new Dictionary<string, object>
        {
            ["actor_sub"] = "system", ["actor_name"] = "DthGrains platform", ["actor_roles"] = "system",
            ["recorded_at"] = "2026-11-25T10:00:00.0000000Z", ["trace_id"] = "4bf92f3577b34da6a3ce929d0e0e4736",
        };
        const int N = 20_000;
        string previous = Domain.Provenance.LedgerHash.Genesis;
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < N; i++)
        {
            var body = System.Text.Encoding.UTF8.GetBytes(serializer.ToJson(Event(1, i)));
            var envelope = System.Text.Encoding.UTF8.GetBytes(serializer.ToJson(headers));
            previous = Domain.Provenance.LedgerHash.Compute(new Domain.Provenance.LedgerEventContent("governance:bench", i + 1, "bench_decision", body, envelope, "corr", null, previous));
        }
        return clock.Elapsed.TotalMicroseconds / N;
    }

    /// <summary>(b) 8 writers on distinct streams, one event per command, against pgbench's raw update + insert.</summary>
    private static async Task ConcurrentWritersAsync(EventLog log, RawSql raw, double seconds)
    {
        Console.WriteLine($"# (b) {Writers} concurrent writers on distinct streams, one event per command (best of 3 each side)");
        double ours = 0, pgbench = 0, cpu = double.MaxValue;
        for (var round = 0; round < 3; round++)
        {
            var before = Process.GetCurrentProcess().TotalProcessorTime;
            var rate = await Writers1Async(log, seconds, $"gov{round}");
            cpu = Math.Min(cpu, (Process.GetCurrentProcess().TotalProcessorTime - before).TotalMicroseconds / (rate * seconds));
            ours = Math.Max(ours, rate);
            pgbench = Math.Max(pgbench, await raw.PgbenchAsync(RawSql.OneEventScript, Writers, seconds));
        }
        Print("event log, 8 writers", ours, "events/s");
        Print("event log client CPU per event (this process, all threads)", cpu, "us");
        Print("pgbench raw update+insert, 8 clients", pgbench, "transactions/s");
        Ratio("8 concurrent writers vs pgbench raw SQL", ours / pgbench, 0.5);
    }

    /// <summary>(c) One writer appending 10 events per transaction, against raw 10-row inserts.</summary>
    private static async Task BatchedAppendsAsync(EventLog log, RawSql raw, double seconds)
    {
        Console.WriteLine("# (c) provenance appends, 10 events per transaction, one writer (best of 3 each side)");
        double ours = 0, pgbench = 0;
        for (var round = 0; round < 3; round++)
        {
            var stream = $"provenance:bench-{round}-{Guid.NewGuid():N}";
            var clock = Stopwatch.StartNew();
            long version = 0;
            string? head = null;
            while (clock.Elapsed.TotalSeconds < seconds)
            {
                var batch = Enumerable.Range(0, 10).Select(i => (object)Event(round, (int)version + i)).ToArray();
                (version, head) = await log.AppendChainedAsync(stream, version, batch, Context, head);
            }
            ours = Math.Max(ours, version / clock.Elapsed.TotalSeconds);
            pgbench = Math.Max(pgbench, 10 * await raw.PgbenchAsync(RawSql.TenEventScript, 1, seconds));
        }
        Print("event log, 10 events per append", ours, "events/s");
        Print("pgbench raw 10-row insert + update, 1 client", pgbench, "rows/s");
        Ratio("batched provenance appends vs raw 10-row inserts", ours / pgbench, 0.5);
    }

    /// <summary>(d) Replaying one 100,000-event stream (read and deserialize every event) against a raw ordered COPY.</summary>
    private static async Task ReplayAsync(EventLog log, string connectionString, double seconds)
    {
        const int Total = 100_000;
        const string Stream = "replay:bench-100k";
        Console.WriteLine($"# (d) replay of a {Total:N0}-event stream against COPY (select ... order by version) TO STDOUT (best of 3 each side)");
        long version = 0;
        string? head = null;
        while (version < Total)
        {
            var batch = Enumerable.Range(0, 1000).Select(i => (object)Event(0, (int)version + i)).ToArray();
            (version, head) = await log.AppendChainedAsync(Stream, version, batch, Context, head);
        }

        double replay = 0, copy = 0;
        var rounds = 0;
        var budget = Stopwatch.StartNew();
        while (rounds < 3 || (rounds < 6 && budget.Elapsed.TotalSeconds < seconds))
        {
            rounds++;
            var clock = Stopwatch.StartNew();
            var events = await log.ReadAsync(Stream);
            var folded = events.Aggregate(0L, (n, e) => e.Data is BenchDecision d ? n + d.Round + 1 : n);
            if (events.Count != Total || folded != Total) throw new InvalidOperationException($"Replay read {events.Count} events.");
            replay = Math.Max(replay, Total / clock.Elapsed.TotalSeconds);

            clock.Restart();
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            var rows = 0;
            using (var reader = await connection.BeginTextExportAsync(
                $"COPY (select seq_id, id, stream_id, version, data, type, timestamp, headers, correlation_id, causation_id from dth.mt_events where stream_id = '{Stream}' order by version) TO STDOUT"))
            {
                while (await reader.ReadLineAsync() is not null) rows++;
            }
            if (rows != Total) throw new InvalidOperationException($"COPY read {rows} rows.");
            copy = Math.Max(copy, Total / clock.Elapsed.TotalSeconds);
        }
        Print("replay (read + deserialize + fold)", replay, "events/s");
        Print("raw COPY ordered read", copy, "rows/s");
        Ratio("replay vs raw COPY", replay / copy, 0.25);
    }

    /// <summary>8 writers, each on its own stream, one event per append, for <paramref name="seconds"/>: events per second.</summary>
    private static async Task<double> Writers1Async(EventLog log, double seconds, string label)
    {
        var clock = Stopwatch.StartNew();
        var counts = await Task.WhenAll(Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            var stream = $"governance:bench-{label}-{w}-{Guid.NewGuid():N}";
            long version = 0;
            string? head = null;
            while (clock.Elapsed.TotalSeconds < seconds)
                (version, head) = await log.AppendChainedAsync(stream, version, [Event(w, (int)version)], Context, head);
            return version;
        })));
        return counts.Sum() / clock.Elapsed.TotalSeconds;
    }

    private static BenchDecision Event(int round, int n) =>
        new($"request-{n:D6}", n % 3 == 0 ? "refused" : "approved", "Purpose and safeguards match the data access application.", round, DateTimeOffset.UtcNow);

    private static void Print(string name, double value, string unit) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name}: {value:G6} {unit}"));

    private static void Ratio(string name, double value, double target) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ratio {name}: {value:F2} (target >= {target:G})"));

    /// <summary>The raw side: tables shaped like Marten's, and pgbench scripts doing what one append does in SQL.</summary>
    private sealed class RawSql(EmbeddedPostgres postgres, string database)
    {
        private const string Body = """'{"request":"request-000001","decision":"approved","reason":"Purpose and safeguards match the data access application.","round":1,"decidedAt":"2026-11-25T10:00:00+00:00"}'""";
        private const string Headers = """'{"actor_sub":"system","actor_name":"DthGrains platform","actor_roles":"system","recorded_at":"2026-11-25T10:00:00.0000000Z","prev_hash":"0000000000000000000000000000000000000000000000000000000000000000","hash":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}'""";

        public const string OneEventScript = "one-event.sql";
        public const string TenEventScript = "ten-events.sql";

        private readonly string _folder = Directory.CreateTempSubdirectory("dthgrains-pgbench-").FullName;

        public async Task CreateTablesAsync()
        {
            await using var connection = new NpgsqlConnection(postgres.ConnectionStringFor(database));
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("""
                create schema if not exists raw;
                create table raw.streams (id int primary key, version bigint not null);
                insert into raw.streams select g, 0 from generate_series(1, 64) g;
                create table raw.events (seq_id bigserial primary key, id uuid not null default gen_random_uuid(), stream_id int not null, version bigint not null,
                  data jsonb not null, type varchar not null, timestamp timestamptz not null default now(), headers jsonb, correlation_id varchar);
                create unique index on raw.events (stream_id, version);
                """, connection);
            await command.ExecuteNonQueryAsync();

            // One event: the stream's version moves by one and the event row goes in, in one transaction.
            await File.WriteAllTextAsync(Path.Combine(_folder, OneEventScript), $"""
                BEGIN;
                UPDATE raw.streams SET version = version + 1 WHERE id = :client_id + 1 RETURNING version \gset
                INSERT INTO raw.events (stream_id, version, data, type, headers, correlation_id) VALUES (:client_id + 1, :version, {Body}, 'bench.decision', {Headers}, 'corr');
                END;
                """);
            // Ten events: one version update and one ten-row insert.
            var rows = string.Join(",\n", Enumerable.Range(1, 10).Select(i =>
                $"(:client_id + 33, :version - 10 + {i}, {Body}, 'bench.decision', {Headers}, 'corr')"));
            await File.WriteAllTextAsync(Path.Combine(_folder, TenEventScript), $"""
                BEGIN;
                UPDATE raw.streams SET version = version + 10 WHERE id = :client_id + 33 RETURNING version \gset
                INSERT INTO raw.events (stream_id, version, data, type, headers, correlation_id) VALUES
                {rows};
                END;
                """);
        }

        /// <summary>Runs pgbench with <paramref name="clients"/> clients for <paramref name="seconds"/>: transactions per second.</summary>
        public async Task<double> PgbenchAsync(string script, int clients, double seconds)
        {
            var start = new ProcessStartInfo(Pgbench) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            start.Environment["PGPASSWORD"] = postgres.Password;
            foreach (var a in new[] { "-h", "127.0.0.1", "-p", postgres.Port.ToString(CultureInfo.InvariantCulture), "-U", "postgres", "-n",
                         "-c", clients.ToString(CultureInfo.InvariantCulture), "-j", Math.Min(clients, Environment.ProcessorCount).ToString(CultureInfo.InvariantCulture),
                         "-T", Math.Max(1, (int)Math.Round(seconds)).ToString(CultureInfo.InvariantCulture), "-f", Path.Combine(_folder, script), database })
                start.ArgumentList.Add(a);
            using var process = Process.Start(start) ?? throw new InvalidOperationException("pgbench did not start.");
            var output = await process.StandardOutput.ReadToEndAsync();
            var error = await process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            var line = output.Split('\n').FirstOrDefault(l => l.StartsWith("tps = ", StringComparison.Ordinal))
                       ?? throw new InvalidOperationException($"pgbench gave no tps: {output} {error}");
            return double.Parse(line["tps = ".Length..].Split(' ')[0], CultureInfo.InvariantCulture);
        }
    }
}
