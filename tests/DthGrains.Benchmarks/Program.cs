using DthGrains.Benchmarks.Catalogue;
using DthGrains.Benchmarks.Ledger;
using DthGrains.Benchmarks.Runs;
using DthGrains.Benchmarks.Simulation;

// Dispatch by the first argument, so other benchmarks (event store, platform) can be added as further verbs.
var benchmarks = new Dictionary<string, Func<string[], int>>(StringComparer.OrdinalIgnoreCase)
{
    ["solver"] = SolverBenchmark.Run,
    ["cohort"] = CohortBenchmark.Run,
    ["ledger"] = LedgerBenchmark.Run,
    ["runs"] = RunsBenchmark.Run,
    ["catalogue"] = CatalogueSearchBenchmark.Run,
    ["lineage"] = LineageBenchmark.Run,
    ["statistics"] = StatisticsBenchmark.Run,
    ["external"] = ExternalExecutorBenchmark.Run,
};

if (args.Length == 0 || !benchmarks.TryGetValue(args[0], out var run))
{
    Console.Error.WriteLine($"usage: DthGrains.Benchmarks <{string.Join("|", benchmarks.Keys)}> [options]");
    return 2;
}
return run(args[1..]);
