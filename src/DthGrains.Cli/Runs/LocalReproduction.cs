using DthGrains.Cli.Catalogue;
using DthGrains.Contracts.Platform;
using DthGrains.Contracts.Runs;
using DthGrains.Domain.Runs;
using Spectre.Console;

namespace DthGrains.Cli.Runs;

/// <summary>
/// A run request executed on this machine (<see cref="RunReproduction"/>) with a progress bar, or quietly for scripts:
/// what <c>dth run verify</c>, <c>dth sim local --cohort</c> and <c>dth sim local --request</c> share. A request that does
/// not plan, or cannot run here, is the user's to fix.
/// </summary>
internal static class LocalReproduction
{
    /// <param name="what">names the request in the progress bar and the errors ("request.json", "run 0c6a…").</param>
    public static (RunPlan Plan, ReproducedRun Run) Run(RunRequest request, string what, bool quiet, CancellationToken ct = default)
    {
        var plan = Plan(request, what);
        (ReproducedRun? Run, Problem? Problem) outcome = default;
        WithProgress(plan.Subjects, $"{plan.Subjects:N0} {Unit(plan)} of {what}", quiet,
            progress => outcome = RunReproduction.Reproduce(plan, progress: progress, ct: ct));
        if (outcome.Problem is { } refused) throw new UsageException($"{what} cannot run here: {Reasons(refused)}");
        return (plan, outcome.Run!);
    }

    /// <summary>The request planned as the platform plans it; one that does not plan is the user's to fix.</summary>
    public static RunPlan Plan(RunRequest request, string what)
    {
        var (plan, problem) = RunPlanner.Plan(request);
        if (plan is null) throw new UsageException($"{what} is not a request the platform would run: {Reasons(problem!)} (this CLI's engine: {RunPlanner.EngineVersion})");
        return plan;
    }

    /// <summary>Only the given shards of <paramref name="plan"/> executed, with a progress bar over their subjects (or quietly): their fingerprints.</summary>
    public static IReadOnlyList<(int Shard, string Fingerprint)> Shards(RunPlan plan, IReadOnlyList<int> shards, string what, bool quiet, CancellationToken ct = default)
    {
        var subjects = shards.Sum(s => plan.ShardRange(s).To - plan.ShardRange(s).From);
        (IReadOnlyList<(int, string)>? Fingerprints, Problem? Problem) outcome = default;
        WithProgress(subjects, $"{subjects:N0} {Unit(plan)} in {shards.Count} {(shards.Count == 1 ? "shard" : "shards")} of {what}", quiet,
            progress => outcome = RunReproduction.ReproduceShards(plan, shards, progress: progress, ct: ct));
        if (outcome.Problem is { } refused) throw new UsageException($"{what} cannot run here: {Reasons(refused)}");
        return outcome.Fingerprints!;
    }

    private static string Unit(RunPlan plan) => plan.Request.Kind == RunKind.Sensitivity ? "evaluations" : "subjects";

    private static void WithProgress(long total, string description, bool quiet, Action<Action<long>> work)
    {
        if (quiet)
        {
            work(_ => { });
            return;
        }
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                // A description is markup: a file name like patients[1].json ended the command.
                var task = ctx.AddTask(Markup.Escape(description), maxValue: Math.Max(1, total));
                work(done => task.Value = Math.Max(task.Value, done));
                task.Value = Math.Max(1, total);
            });
    }

    private static string Reasons(Problem p) =>
        p.Errors is { Count: > 0 } errors ? string.Join(" ", errors.SelectMany(e => e.Value.Select(m => $"{e.Key}: {m}"))) : p.Detail ?? "";
}
