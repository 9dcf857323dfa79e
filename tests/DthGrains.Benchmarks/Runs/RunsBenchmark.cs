using DthGrains.Simulation.Models;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Runtime;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using DthGrains.Cli.Identity;
using DthGrains.Contracts.Runs;
using DthGrains.Domain.Runs;
using DthGrains.Silo.Platform;
using DthGrains.Silo.Platform.Postgres;
using DthGrains.Benchmarks.Simulation;
using DthGrains.Simulation.Engine;
using DthGrains.Simulation.Solvers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DthGrains.Benchmarks.Runs;

/// <summary>
/// The simulation platform against its baselines, measured in the same run on a two-silo cluster (one data, one hpc
/// silo; two real hosts in this process, embedded PostgreSQL): (a) a 1,000-patient × 1-day Hovorka cohort trial from
/// POST to the SSE client receiving run_completed, against a bare Parallel.For of the engine over the same patients;
/// (b) the p99 latency from a run grain publishing a committed shard event to the SSE client receiving it, against a
/// minimal SSE endpoint fed from an in-process channel (and, for information, from the shard being recorded, commit included).
/// </summary>
internal static class RunsBenchmark
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    /// <summary>The platform warm-up ends when the JIT was quiet over this many runs.</summary>
    private const int QuietWindow = 25;

    private static readonly TimeSpan MaxPlatformWarmUp = TimeSpan.FromSeconds(150);

    private static readonly TimeSpan MinNumericWarmUp = TimeSpan.FromSeconds(8);

    private static readonly TimeSpan MaxNumericWarmUp = TimeSpan.FromSeconds(60);

#pragma warning disable VSTHRD002
    public static int Run(string[] args) => RunAsync(args).GetAwaiter().GetResult();
#pragma warning restore VSTHRD002

    // For measuring by hand: DTH_BENCH_SHARD sets the shard size of the 1,000-patient runs (default: the planner's, 4 of 250).
    private static object CohortRequest(ulong seed, int size = 1000) => Environment.GetEnvironmentVariable("DTH_BENCH_SHARD") is { } shard && size == 1000
        ? new { kind = "cohort-trial", model = "hovorka", size, seed, duration = 1440, shardSize = (int?)int.Parse(shard, CultureInfo.InvariantCulture) }
        : new { kind = "cohort-trial", model = "hovorka", size, seed, duration = 1440, shardSize = (int?)null };

    /// <summary>The baseline: a bare Parallel.For of sampling and solving over the plan's subjects (no statistics, nothing kept).</summary>
    private static double BareSeconds(RunPlan plan, DthGrains.Simulation.Cohorts.ISubjectSource subjects)
    {
        var clock = Stopwatch.StartNew();
        var failed = 0;
        Parallel.For(0, (int)plan.Subjects, () => (new SimulationWorkspace((ModelDefinition)plan.Model, plan.Solver, plan.Times), new double[plan.Model.Info.Parameters.Count], new double[plan.Times.Length * plan.Model.Info.Outputs.Count]),
            (i, _, w) =>
            {
                subjects.Parameters(i, w.Item2);
                if (w.Item1.Solve(subjects.ScenarioOf(i), w.Item2, w.Item3) != IntegrationStatus.Completed) Interlocked.Increment(ref failed);
                return w;
            }, _ => { });
        return clock.Elapsed.TotalSeconds;
    }

    /// <summary>(c) information: the same comparison at ten times the size, where the platform's fixed costs weigh less.</summary>
    private static async Task ScaleAsync(HttpClient client, int size, int repetitions)
    {
        var plan = RunPlanner.Plan(new RunRequest(RunKind.CohortTrial, "hovorka", Size: size, Seed: 1, Duration: 1440)).Plan!;
        Console.WriteLine($"# (c) the same at {size:N0} patients: {plan.Shards} shards of {plan.ShardSize}");
        var subjects = RunPlanner.SubjectsOf(plan);
        var bare = new List<double>();
        var platform = new List<double>();
        for (var r = 0; r < repetitions; r++)
        {
            bare.Add(BareSeconds(plan, subjects));
            platform.Add(await PlatformAsync(client, CohortRequest((ulong)r + 1, size)));
        }
        Print($"bare Parallel.For of the engine, {size} patient-days", bare.Min(), "s (best)");
        Print($"platform {size} patient-days (POST to run_completed at the SSE client)", platform.Min(), "s (best)");
        Ratio($"platform vs bare Parallel.For at {size} patients (information)", bare.Min() / platform.Min(), ">=", 0.8);
    }

    private static async Task<int> RunAsync(string[] args)
    {
        var repetitions = args.Length > 0 ? Math.Max(2, (int)double.Parse(args[0], CultureInfo.InvariantCulture)) : 3;
        var folder = Path.Combine(Path.GetTempPath(), $"dthgrains-runs-bench-{Environment.ProcessId}");
        Console.WriteLine($"# runs benchmark: two silos (data + hpc) in one process, embedded PostgreSQL in {folder}, {Environment.ProcessorCount} cores, {repetitions} repetitions");
        await using var postgres = await EmbeddedPostgres.StartAsync(new EmbeddedPostgresOptions { DataDirectory = Path.Combine(folder, "pg") });
        DthHost? data = null, hpc = null;
        try
        {
            await postgres.EnsureDatabaseAsync("runs_bench");
            var connectionString = postgres.ConnectionStringFor("runs_bench");
            var key = Path.Combine(folder, "key.pem");
            var cluster = $"runs-bench-{Guid.NewGuid():N}";
            data = await StartHostAsync("charite", "data", connectionString, cluster, key, folder, 21111, 31000);
            hpc = await StartHostAsync("bsc", "hpc", connectionString, cluster, key, folder, 21112, 31001);
            var token = StandaloneTokens.Mint(key, new StandaloneTokens.Request("bench-researcher", "Bench", "tum", ["researcher"], TimeSpan.FromHours(2)));
            using var client = new HttpClient { BaseAddress = new Uri(Address(data)), Timeout = Timeout.InfiniteTimeSpan };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            // Both silos in the membership view before measuring, so the workers find the hpc silo: wait for the
            // membership update that says so, not for a guessed time.
            await BothSilosActiveAsync(data);

            var bare = await ThroughputAsync(client, repetitions, postgres.ServerProcessId);
            await FixedCostAsync(client, bare, postgres.ServerProcessId);
            // For measuring by hand: the throughput figures alone.
            if (Environment.GetEnvironmentVariable("DTH_BENCH_THROUGHPUT_ONLY") == "1") return 0;
            await ScaleAsync(client, 10_000, 3);
            await LatencyAsync(client);
            return 0;
        }
        finally
        {
            if (hpc is not null) { await hpc.StopAsync(); await hpc.DisposeAsync(); }
            if (data is not null) { await data.StopAsync(); await data.DisposeAsync(); }
            await postgres.StopAsync();
            try { Directory.Delete(folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static async Task BothSilosActiveAsync(DthHost host)
    {
        var membership = host.App.Services.GetRequiredService<Orleans.Runtime.IClusterMembershipService>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await foreach (var snapshot in membership.MembershipUpdates.WithCancellation(timeout.Token))
            if (snapshot.Members.Values.Count(m => m.Status == Orleans.Runtime.SiloStatus.Active) >= 2) return;
    }

    private static async Task<DthHost> StartHostAsync(string institution, string role, string connectionString, string cluster, string key, string folder, int siloPort, int gatewayPort)
    {
        var values = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Federation"] = connectionString, ["Urls"] = "http://127.0.0.1:0", ["Dth:Institution"] = institution, ["Dth:Role"] = role,
            ["Dth:ClusterId"] = cluster, ["Dth:SiloPort"] = siloPort.ToString(CultureInfo.InvariantCulture), ["Dth:GatewayPort"] = gatewayPort.ToString(CultureInfo.InvariantCulture),
            ["Dth:DataDirectory"] = Path.Combine(folder, institution), ["Dth:Seed"] = "false", ["Dth:Identity:SigningKeyPath"] = key, ["Dth:AlsoHosts:0"] = institution,
            ["Logging:LogLevel:Default"] = "Warning", ["Dth:RunStreams:MaxStreamsPerClient"] = "64",
            // The benchmark warms up the numerics itself, measuring as it goes.
            ["Dth:Runs:NumericsWarmUp"] = "00:00:00",
        };
        var host = await DthHost.CreateAsync(["--profile", "standalone"], c => c.AddInMemoryCollection(values));
        await host.StartAsync();
        return host;
    }

    private static string Address(DthHost host) => host.App.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

    /// <summary>
    /// (a2) information: what a run costs whatever its size: one patient × 1 day (one shard; its solve takes well under a
    /// millisecond), POST to run_completed at the SSE client. At 1,000 patients the numerics take about as long as this,
    /// so this alone bounds the ratio: bare / (bare + fixed), whatever the platform does while the shards solve.
    /// </summary>
    private static async Task FixedCostAsync(HttpClient client, double bestBare, int? postmaster)
    {
        var times = new List<double>();
        for (var r = 0; r < 10; r++) times.Add(await PlatformAsync(client, CohortRequest((ulong)(9000 + r), size: 1)));
        // The CPU of the last 20: what a run costs whatever its size, to set against a 1,000-patient run's.
        var (process, server) = (CpuClock.ProcessSeconds(), postmaster is { } pid ? PostgresCpu.Seconds(pid) : 0);
        for (var r = 10; r < 30; r++) times.Add(await PlatformAsync(client, CohortRequest((ulong)(9000 + r), size: 1)));
        Print("platform 1 patient-day (POST to run_completed at the SSE client), best", times.Min(), "s");
        Print("platform 1 patient-day, median", P50(times), "s");
        Print("CPU of a 1-patient run, this process (both silos and the SSE client)", (CpuClock.ProcessSeconds() - process) / 20 * 1000, "ms");
        if (postmaster is { } p) Print("CPU of a 1-patient run, PostgreSQL", (PostgresCpu.Seconds(p) - server) / 20 * 1000, "ms");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"bound on the throughput ratio from the fixed cost of a run alone: {bestBare / (bestBare + times.Min()):F2} (information)"));
    }

    /// <summary>(a) submit to completed, against Parallel.For over the same patients (best of the repetitions on each side); returns the bare loop's best time.</summary>
    private static async Task<double> ThroughputAsync(HttpClient client, int repetitions, int? postmaster)
    {
        var plan = RunPlanner.Plan(new RunRequest(RunKind.CohortTrial, "hovorka", Size: 1000, Seed: 1, Duration: 1440)).Plan!;
        Console.WriteLine($"# (a) cohort trial: 1,000 virtual patients × 1 day of {plan.Model.Info.Id}, outputs every {plan.Request.OutputStep} min, {plan.Shards} shards of {plan.ShardSize}");
        var subjects = RunPlanner.SubjectsOf(plan);
        double Baseline() => BareSeconds(plan, subjects);

        // The engine's own cohort path, producing the same statistics (moments and quantile sketches) the platform stores.
        double Engine()
        {
            var clock = Stopwatch.StartNew();
            new DthGrains.Simulation.Cohorts.SubjectShardRunner(plan.Model, plan.Solver, plan.Times, subjects, RunPlanner.BandAccuracy)
                .Run(0, plan.Subjects, null, -1);
            return clock.Elapsed.TotalSeconds;
        }

        // Steady state first. The tiered JIT promotes a hot method only after a quiet spell with no new tier-0 code, and a
        // busy silo keeps compiling: measured too early, both sides run the solver partly in tier 0 (several times slower),
        // which says nothing about either. (1) The numerics alone, while the silos are idle, until the bare loop stops
        // getting faster; (2) whole platform runs until the JIT is quiet.
        var warm = Stopwatch.StartNew();
        var numeric = new List<double>();
        // At least 8 s, then until the last 10 rounds are no more than 5% faster than the best round before them. Tier-0 code
        // can sit on such a plateau for a while before its promotion lands (seen: 92 ms at the end of this phase, 17 ms
        // later), so this phase alone proves nothing: the platform rounds below keep warming both sides, and every figure
        // is a best of the measured repetitions.
        static bool Plateaued(List<double> t) => t.Count >= 20 && t.TakeLast(10).Min() >= 0.95 * t.SkipLast(10).Min();
        while (warm.Elapsed < MaxNumericWarmUp && (warm.Elapsed < MinNumericWarmUp || !Plateaued(numeric)))
        {
            numeric.Add(Baseline());
            Engine();
        }
        Console.WriteLine($"# warm-up of the numerics: {numeric.Count} rounds in {warm.Elapsed.TotalSeconds:F1} s (bare loop {numeric[0] * 1000:F0} ms -> {numeric.Min() * 1000:F0} ms)");
        warm.Restart();
        // (2) Whole platform runs until the JIT is quiet. A silo's code is large (Orleans, Marten, Npgsql, ASP.NET Core) and
        // the tiered JIT promotes it in the background for hundreds of runs: measured by hand, about 3 s of compilation per
        // 50 runs at first, 20 ms per 50 after some 400. A long-lived silo runs promoted code, so that is what is measured:
        // until compilation took under 1% of the last QuietWindow runs' time (JitInfo counts the background compiler too).
        var rounds = 0;
        var window = new Queue<(double Jit, double Wall)>();
        while (warm.Elapsed < MaxPlatformWarmUp && (window.Count < QuietWindow || window.Sum(w => w.Jit) > 0.01 * window.Sum(w => w.Wall)))
        {
            var (jit, wall) = (JitInfo.GetCompilationTime(), Stopwatch.StartNew());
            // The numerics are warm already; an occasional baseline round keeps their code as hot as the platform's.
            if (rounds++ % 10 == 0)
            {
                Baseline();
                Engine();
            }
            await PlatformAsync(client, CohortRequest((ulong)(1000 + rounds)));
            window.Enqueue(((JitInfo.GetCompilationTime() - jit).TotalSeconds, wall.Elapsed.TotalSeconds));
            if (window.Count > QuietWindow) window.Dequeue();
        }
        var quiet = window.Sum(w => w.Jit) / window.Sum(w => w.Wall);
        Console.WriteLine($"# warm-up with the platform: {rounds} runs in {warm.Elapsed.TotalSeconds:F1} s; JIT time in the last {window.Count}: {quiet:P1} of their time ({JitInfo.GetCompiledMethodCount()} methods compiled in all){(quiet > 0.01 ? " -- NOT quiet: the figures below include JIT work" : "")}");
        // For profiling by hand (perf record -p, started on the marker line): steady-state platform runs for a while.
        if (double.TryParse(Environment.GetEnvironmentVariable("DTH_BENCH_PROFILE_SECONDS"), CultureInfo.InvariantCulture, out var profile))
        {
            Console.WriteLine($"# PROFILE START pid {Environment.ProcessId}");
            var (methods0, jit0) = (JitInfo.GetCompiledMethodCount(), JitInfo.GetCompilationTime());
            var until = Stopwatch.StartNew();
            var n = 0;
            // DTH_BENCH_PROFILE_SIZE=1 profiles one-patient runs: what any run costs, whatever its size.
            var size = int.TryParse(Environment.GetEnvironmentVariable("DTH_BENCH_PROFILE_SIZE"), out var profiled) ? profiled : 1000;
            while (until.Elapsed.TotalSeconds < profile) await PlatformAsync(client, CohortRequest((ulong)(5000 + n++), size));
            Console.WriteLine($"# PROFILE END: {n} runs; {JitInfo.GetCompiledMethodCount() - methods0} methods compiled meanwhile, {(JitInfo.GetCompilationTime() - jit0).TotalMilliseconds:F0} ms of JIT");
        }
        repetitions = Math.Max(repetitions, 10);
        var bare = new List<double>();
        var engine = new List<double>();
        var platform = new List<double>();
        for (var r = 0; r < repetitions; r++)
        {
            bare.Add(Baseline());
            engine.Add(Engine());
            platform.Add(await PlatformAsync(client, CohortRequest((ulong)r + 1)));
        }
        var bestBare = bare.Min();
        var bestEngine = engine.Min();
        var bestPlatform = platform.Min();
        Print("bare Parallel.For of the engine, 1000 patient-days", bestBare, "s (best)");
        Print("engine cohort path with the same statistics, all cores", bestEngine, "s (best)");
        Print("platform 1000 patient-days (POST to run_completed at the SSE client)", bestPlatform, "s (best)");
        // The best of each side is the ratio's; the medians say what a typical run costs on this shared machine.
        Print("bare Parallel.For, median", P50(bare), "s");
        Print("platform, median", P50(platform), "s");
        Print("platform rate", 1000 / bestPlatform, "patient-days/s");
        Ratio("platform vs engine with the same statistics (information)", bestEngine / bestPlatform, ">=", 0.8);
        Ratio("platform vs bare Parallel.For (throughput)", bestBare / bestPlatform, ">=", 0.8);
        if (postmaster is { } pid) await CpuBudgetAsync(client, plan, Baseline, bestBare, pid);
        return bestBare;
    }

    /// <summary>
    /// Where the time goes: the CPU a platform run costs (this process: both silos and the client; and PostgreSQL) against
    /// the bare loop's, each over a block of runs. The platform's CPU spread over every core is a floor under its wall time
    /// (the machine is shared by the silos, PostgreSQL and the client), so bare time / that floor bounds the throughput
    /// ratio from above, whatever the latency.
    /// </summary>
    private static async Task CpuBudgetAsync(HttpClient client, RunPlan plan, Func<double> baseline, double bestBare, int postmaster)
    {
        var block = int.TryParse(Environment.GetEnvironmentVariable("DTH_BENCH_CPU_BLOCK"), out var b) ? b : 20;
        var (process, server) = (CpuClock.ProcessSeconds(), PostgresCpu.Seconds(postmaster));
        var (allocated, gen0, gen2, paused) = (GC.GetTotalAllocatedBytes(precise: true), GC.CollectionCount(0), GC.CollectionCount(2), GC.GetTotalPauseDuration());
        for (var r = 0; r < block; r++) await PlatformAsync(client, CohortRequest((ulong)(2000 + r)));
        var platformProcess = (CpuClock.ProcessSeconds() - process) / block;
        var platformServer = (PostgresCpu.Seconds(postmaster) - server) / block;
        var gc = string.Create(CultureInfo.InvariantCulture,
            $"{Allocated(GC.GetTotalAllocatedBytes(precise: true) - allocated, block)}, {(GC.CollectionCount(0) - gen0) / (double)block:F2} gen0 and {(GC.CollectionCount(2) - gen2) / (double)block:F2} gen2 collections, {(GC.GetTotalPauseDuration() - paused).TotalMilliseconds / block:F2} ms paused");
        process = CpuClock.ProcessSeconds();
        for (var r = 0; r < block; r++) baseline();
        var bare = (CpuClock.ProcessSeconds() - process) / block;
        var floor = (platformProcess + platformServer) / Environment.ProcessorCount;
        Console.WriteLine($"# CPU per 1,000-patient run, over {block} runs each: {plan.Subjects} solves on {Environment.ProcessorCount} cores");
        Print("CPU of a platform run, this process (both silos and the SSE client)", platformProcess * 1000, "ms");
        Print("CPU of a platform run, PostgreSQL (postmaster and backends)", platformServer * 1000, "ms");
        Print("CPU of a bare Parallel.For round", bare * 1000, "ms");
        Console.WriteLine($"# garbage per platform run (this process): {gc}");
        Print("floor under the platform's wall time (its CPU over all cores)", floor * 1000, "ms");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"bound on the throughput ratio from CPU alone: {bestBare / floor:F2} (information)"));
    }

    /// <summary>
    /// KB allocated per run. The runtime's total has been seen to go back over a block of runs (Server GC, with the solve
    /// threads of each shard ending): such a block says nothing, and says so.
    /// </summary>
    private static string Allocated(long bytes, int runs) =>
        bytes >= 0 ? string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0 / runs:F0} KB allocated")
            : string.Create(CultureInfo.InvariantCulture, $"allocation not measured (the runtime's total went back by {-bytes / 1024} KB)");

    /// <summary>Seconds from POST to the SSE client reading run_completed.</summary>
    private static async Task<double> PlatformAsync(HttpClient client, object request)
    {
        var clock = Stopwatch.StartNew();
        var response = await client.PostAsync("api/runs", new StringContent(JsonSerializer.Serialize(request), Encoding.UTF8, "application/json"));
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"POST /api/runs: {(int)response.StatusCode} {body}");
        var id = JsonDocument.Parse(body).RootElement.GetProperty("id").GetString()!;
        if (Environment.GetEnvironmentVariable("DTH_BENCH_TRACE") == "1") Console.WriteLine($"  {clock.Elapsed.TotalMilliseconds:F0} ms POST answered");
        await foreach (var (evt, data) in ReadSseAsync(client, $"api/runs/{id}/events"))
        {
            if (Environment.GetEnvironmentVariable("DTH_BENCH_TRACE") == "1") Console.WriteLine($"  {clock.Elapsed.TotalMilliseconds:F0} ms {evt} {data}");
            if (evt == "runs.run_completed") return clock.Elapsed.TotalSeconds;
        }
        throw new InvalidOperationException($"Run {id} ended without run_completed.");
    }

    /// <summary>
    /// (b) p99 delivery latency of shard events, platform against a minimal channel-fed SSE endpoint. Both run at the same
    /// time, so both see the same machine: the platform's own solves and appends load both cores while it publishes, and
    /// a baseline measured afterwards on an idle machine would flatter the ratio's denominator.
    /// </summary>
    private static async Task LatencyAsync(HttpClient client)
    {
        const int shards = 400;
        Console.WriteLine($"# (b) SSE latency: runs of {shards} one-patient shards (1 simulated hour), all followed live, while a minimal channel-fed SSE endpoint in the same process ticks every 2 ms");
        var fromEmit = new List<double>();
        var fromRecorded = new List<double>();
        await using var baseline = await ChannelSse.StartAsync();
        for (var r = 0; r < 3; r++)
        {
            var request = new { kind = "cohort-trial", model = "hovorka", size = shards, seed = 100 + r, duration = 60, outputStep = 30, shardSize = 1 };
            var response = await client.PostAsync("api/runs", new StringContent(JsonSerializer.Serialize(request), Encoding.UTF8, "application/json"));
            var id = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
            await foreach (var (evt, data) in ReadSseAsync(client, $"api/runs/{id}/events"))
            {
                var received = DateTimeOffset.UtcNow;
                if (evt != "runs.shard_completed") { if (evt == "runs.run_completed") break; continue; }
                using var doc = JsonDocument.Parse(data);
                if (!doc.RootElement.TryGetProperty("emittedAt", out var emitted)) continue;
                fromEmit.Add((received - emitted.GetDateTimeOffset()).TotalMilliseconds);
                fromRecorded.Add((received - doc.RootElement.GetProperty("at").GetDateTimeOffset()).TotalMilliseconds);
            }
        }
        var latencies = await baseline.StopAsync();
        var p99Platform = P99(fromEmit);
        var p99Baseline = P99(latencies);
        Print("platform shard event, publish to SSE client p50", P50(fromEmit), "ms");
        Print("platform shard event, publish to SSE client p99", p99Platform, $"ms ({fromEmit.Count} live events)");
        Print("platform shard event, recorded (commit included) to SSE client p99", P99(fromRecorded), "ms");
        Print("minimal channel SSE endpoint p50 (same time)", P50(latencies), "ms");
        Print("minimal channel SSE endpoint p99 (same time)", p99Baseline, $"ms ({latencies.Count} events)");
        Ratio("sse p99 platform vs in-process channel endpoint", p99Platform / p99Baseline, "<=", 2);
    }

    /// <summary>The baseline: a bare Kestrel SSE endpoint writing what a channel yields, one tick every 2 ms, read by its own client.</summary>
    private sealed class ChannelSse : IAsyncDisposable
    {
        private readonly Channel<DateTimeOffset> _channel = Channel.CreateUnbounded<DateTimeOffset>();
        private readonly CancellationTokenSource _stop = new();
        private readonly List<double> _latencies = [];
        private WebApplication _app = null!;
        private HttpClient _client = null!;
        private Task _producer = Task.CompletedTask, _reader = Task.CompletedTask;

        public static async Task<ChannelSse> StartAsync()
        {
            var sse = new ChannelSse();
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            sse._app = builder.Build();
            sse._app.MapGet("/events", async (HttpContext http) =>
            {
                http.Response.ContentType = "text/event-stream";
                long id = 0;
                await foreach (var at in sse._channel.Reader.ReadAllAsync(http.RequestAborted))
                {
                    await http.Response.WriteAsync($"id: {++id}\nevent: tick\ndata: {{\"emittedAt\":\"{at:O}\"}}\n\n", http.RequestAborted);
                    await http.Response.Body.FlushAsync(http.RequestAborted);
                }
            });
            await sse._app.StartAsync();
            sse._client = new HttpClient { BaseAddress = new Uri(sse._app.Urls.First()), Timeout = Timeout.InfiniteTimeSpan };
            sse._reader = Task.Run(async () =>
            {
                await foreach (var (_, data) in ReadSseAsync(sse._client, "events"))
                {
                    var received = DateTimeOffset.UtcNow;
                    using var doc = JsonDocument.Parse(data);
                    lock (sse._latencies) sse._latencies.Add((received - doc.RootElement.GetProperty("emittedAt").GetDateTimeOffset()).TotalMilliseconds);
                }
            });
            sse._producer = Task.Run(async () =>
            {
                // One tick every 2 ms, paced by a timer (a load generator's rate, not a wait for something to happen).
                using var pace = new PeriodicTimer(TimeSpan.FromMilliseconds(2));
                try
                {
                    while (await pace.WaitForNextTickAsync(sse._stop.Token)) await sse._channel.Writer.WriteAsync(DateTimeOffset.UtcNow);
                }
                catch (OperationCanceledException)
                {
                }
                sse._channel.Writer.Complete();
            });
            return sse;
        }

        /// <summary>Stops the ticks; returns the latencies of every tick the client received.</summary>
        public async Task<List<double>> StopAsync()
        {
            await _stop.CancelAsync();
            // Both tasks were started by StartAsync on the thread pool; no synchronisation context is involved here.
#pragma warning disable VSTHRD003
            await _producer;
            await _reader;
#pragma warning restore VSTHRD003
            lock (_latencies) return [.. _latencies];
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _client.Dispose();
            await _app.StopAsync();
            await _app.DisposeAsync();
            _stop.Dispose();
        }
    }

    private static async IAsyncEnumerable<(string Event, string Data)> ReadSseAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path, HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        string evt = "message", data = "";
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.StartsWith("event: ", StringComparison.Ordinal)) evt = line[7..];
            else if (line.StartsWith("data: ", StringComparison.Ordinal)) data = line[6..];
            else if (line.Length == 0 && data.Length > 0)
            {
                yield return (evt, data);
                (evt, data) = ("message", "");
            }
        }
    }

    private static double P99(List<double> values) => Percentile(values, 0.99);

    private static double P50(List<double> values) => Percentile(values, 0.5);

    private static double Percentile(List<double> values, double q)
    {
        if (values.Count == 0) return double.NaN;
        var sorted = values.Order().ToArray();
        return sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];
    }

    private static void Print(string name, double value, string unit) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name}: {value:G4} {unit}"));

    private static void Ratio(string name, double value, string relation, double target) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ratio {name}: {value:F2} (target {relation} {target:G})"));
}
