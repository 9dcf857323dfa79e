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
        var (plan, problem) = RunPlanner.Plan(request);
        if (plan is null) throw new UsageException($"{what} is not a request the platform would run: {Reasons(problem!)} (this CLI's engine: {RunPlanner.EngineVersion})");
        (ReproducedRun? Run, Problem? Problem) outcome = default;
        if (quiet)
        {
            outcome = RunReproduction.Reproduce(plan, ct: ct);
        }
        else
        {
            AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                .Start(ctx =>
                {
                    var unit = plan.Request.Kind == RunKind.Sensitivity ? "evaluations" : "subjects";
                    var task = ctx.AddTask($"{plan.Subjects:N0} {unit} of {what}", maxValue: plan.Subjects);
                    outcome = RunReproduction.Reproduce(plan, progress: done => task.Value = Math.Max(task.Value, done), ct: ct);
                    task.Value = plan.Subjects;
                });
        }
        if (outcome.Problem is { } refused) throw new UsageException($"{what} cannot run here: {Reasons(refused)}");
        return (plan, outcome.Run!);
    }

    private static string Reasons(Problem p) =>
        p.Errors is { Count: > 0 } errors ? string.Join(" ", errors.SelectMany(e => e.Value.Select(m => $"{e.Key}: {m}"))) : p.Detail ?? "";
}
