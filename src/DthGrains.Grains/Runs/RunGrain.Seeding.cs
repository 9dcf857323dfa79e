using DthGrains.Contracts.Catalogue;
using DthGrains.Contracts.Platform;
using DthGrains.Contracts.Runs;
using DthGrains.Domain.Runs;
using Microsoft.Extensions.Logging;

namespace DthGrains.Grains.Runs;

/// <summary>
/// A cohort seeded from a dataset: its seed fitted at the data holder's silos, off the run's turns, and retried after
/// a refusal, a loss or a failure.
/// </summary>
public sealed partial class RunGrain
{
    /// <summary>
    /// Fits the cohort's seed at the data holder's silos, off this grain's turns (it takes seconds, during which the run
    /// answers, is followed and can be cancelled), and hands the outcome back in a turn of its own
    /// (<see cref="SeedFittedAsync"/>). At most one fit at a time; the supervisor starts another after a failure or a silo
    /// loss. The subjects are read under the owner's grant and purpose, so the dataset's access log names the researcher.
    /// </summary>
    private void StartSeeding()
    {
        if (_seeding is { IsCompleted: false } || !State.AwaitsSeed || State.IsTerminal) return;
        var submitted = State.Submitted!;
        var dataset = SeedDataset();
        var context = new CommandContext(State.Owner, $"run-{Id}", Purpose: submitted.Purpose);
        var self = this.AsReference<IRunGrain>();
        // Taken on this turn: off it, the grain's own GrainFactory refuses to serve (it belongs to the activation).
        var grains = GrainFactory;
        var id = Id;
        // Bounded, and stopped at the data holder when the bound passes or the run ends meanwhile (StopAsync).
        _seedFit?.Dispose();
        // The bound this fit has, named in its failure: the option may change meanwhile (an operator giving fits more time),
        // and a fit stopped at 50 ms was reported as not fitted within the new 3 minutes, a second suspension whose reason
        // was false (seen under load in SeededCohortResidencyTests).
        var within = options.Value.SeedFitTimeout;
        var fit = _seedFit = new CancellationTokenSource(within);
        _seeding = Task.Run(async () =>
        {
            Outcome<CohortSeed> fitted;
            try
            {
                fitted = await FitSeedAsync(grains, dataset, submitted.ModelId, submitted.ModelVersion, context, within, fit.Token);
            }
            catch (Exception ex)
            {
                // Anything else the holder's silo threw: the run waits saying so, and tries again after the same back-off as
                // for a refusal, not at every period. The error itself is in the logs, not in the ledger.
                logger.LogError(ex, "Run {RunId}: the cohort seed from {Dataset} was not fitted; the supervisor tries again", id, dataset.Id);
                fitted = Problem.Unavailable($"The cohort seed from '{dataset.Id}' could not be fitted at the silos of '{dataset.Institution}' " +
                    "(an unexpected error there, in the platform's logs); it is tried again.");
            }
            // This activation was deactivated meanwhile (and the fit stopped): the next one fits again, and this outcome
            // (a stopped fit) would reach it as a failure while its own fit runs.
            if (Volatile.Read(ref _seedAbandoned)) return;
            try
            {
                await self.SeedFittedAsync(fitted);
            }
            catch (Exception ex)
            {
                logger.LogError(ex, "Run {RunId}: the outcome of the seed's fit was not recorded; the supervisor tries again", id);
            }
        });
    }

    /// <summary>
    /// A run suspended while waiting for its seed tries again only once its data holder has a live silo and every grant
    /// permits (a refused read would be recorded in the dataset's access log at every period), and, when fits came back
    /// refused or undone although both held, after waits that double (<see cref="SeedRetry"/>). While it waits, the
    /// suspension says what holds it now, and a grant found not permitting is recorded once as a refusal, as at a shard
    /// boundary.
    /// </summary>
    private async Task<bool> SeedingPermittedAsync()
    {
        var dataset = SeedDataset();
        if (silos.LiveSilosOf(dataset.Institution).Count == 0)
        {
            // Nothing is asked while the holder is away; when one of its silos is back, the first try goes at once.
            ResetSeedRetry();
            await AppendAsync(SystemContext(), s => RunDecisions.Suspend(s, NoLiveSilo(dataset), dataset.Id, Clock.GetUtcNow()));
            return false;
        }
        return (await SeedGrantsAsync()).Permit;
    }

    /// <summary>
    /// Whether every grant of a run waiting for its seed permits now, and which. When one does not, the run is suspended
    /// with the policy's reason and the refusal recorded, once per reason. Nothing is asked of the data meanwhile; once a
    /// grant permits (a renewed one, say), the first try goes at once.
    /// </summary>
    private async Task<(bool Permit, string[] Grants)> SeedGrantsAsync()
    {
        var (permit, reason, refused, grants) = await CheckGrantsAsync(record: false);
        if (permit) return (true, grants);
        ResetSeedRetry();
        if (reason != State.StatusReason)
        {
            await RecordDenialAsync(refused!, State.Owner, State.Submitted!.Purpose, reason!, SystemContext());
            await AppendAsync(SystemContext(), s => RunDecisions.Suspend(s, reason!, refused!.Id, Clock.GetUtcNow()));
        }
        return (false, []);
    }

    private void ResetSeedRetry() => (_seedFailures, _seedRoundsToWait) = (0, 0);

    private RunDataset SeedDataset() => State.Submitted!.Datasets.Single(d => d.Id == State.Submitted.Request.CohortFrom!.Dataset);

    private static string NoLiveSilo(RunDataset dataset) =>
        $"Institution '{dataset.Institution}' has no live silo. Its data stay at home: the cohort cannot be seeded from '{dataset.Id}' until one of its silos is back.";

    public async Task SeedFittedAsync(Outcome<CohortSeed> fitted)
    {
        if (!State.Exists || State.IsTerminal || !State.AwaitsSeed) return;
        var dataset = SeedDataset().Id;
        var now = Clock.GetUtcNow();
        if (fitted.Problem is { } problem)
        {
            // The data holder is away, busy or failing, or its grant does not permit the read now: wait (suspended, with the
            // reason) and try again, after the back-off (SeedRetry). Anything else (too few usable subjects, say) will not change by waiting. A refused read
            // was recorded at the data already; the reason is the policy's own, so the supervisor does not record it again.
            var reason = problem.Kind == ProblemKind.Forbidden && await CheckGrantsAsync(record: false) is { Permit: false, Reason: { } policy } ? policy : problem.Detail;
            _seedRoundsToWait = SeedRetry.RoundsToWait(++_seedFailures, SeedRetry.MaxRounds(options.Value.SeedRetryMax, options.Value.SupervisePeriod));
            if (_seedRoundsToWait > 0)
                logger.LogInformation("Run {RunId}: the seed's fit came back undone {Failures} times in a row ({Detail}); the next try in {Rounds} supervision rounds",
                    Id, _seedFailures, problem.Detail, _seedRoundsToWait + 1);
            await AppendAsync(SystemContext(), s => problem.Kind is ProblemKind.Unavailable or ProblemKind.Forbidden
                ? RunDecisions.Suspend(s, reason, dataset, now)
                : RunDecisions.Fail(s, $"The cohort could not be seeded from '{dataset}': {problem.Detail}", now));
            if (State.IsTerminal) Stop();
            return;
        }
        var (seeded, invalid) = RunPlanner.Plan(State.Submitted!.Request with { CohortFrom = fitted.Value });
        if (invalid is not null)
        {
            await AppendAsync(SystemContext(), s => RunDecisions.Fail(s, $"The seeded cohort does not plan: {invalid.Detail}", now));
            Stop();
            return;
        }
        // The grants again: a fit takes up to SeedFitTimeout, and one may have been revoked or have expired meanwhile. Then
        // the run does not start (nor resume under no grant): it waits suspended with the reason, the fit is not recorded,
        // and the seed is fitted again once a grant permits. A run suspended while it waited resumes under the grants that
        // permit it now (a renewed one, say).
        var (permitted, grants) = await SeedGrantsAsync();
        if (!permitted) return;
        var resumedUnder = State.Status == RunStatus.Suspended ? grants : [];
        var (_, refused) = await AppendAsync(SystemContext(), s => RunDecisions.Seed(s, fitted.Value!, seeded!, resumedUnder, now));
        if (refused is not null)
        {
            logger.LogWarning("Run {RunId}: the fitted seed was not recorded ({Detail}); the supervisor tries again", Id, refused.Detail);
            return;
        }
        _plan = seeded;
        Dispatch();
    }

    /// <summary>
    /// Fits the seed on the dataset owner's silos under the run's purpose. With no live silo of that institution (or when its
    /// last one leaves during the call) the answer is 503: the data stay at home; so is a fit stopped at its bound
    /// (<see cref="RunOptions.SeedFitTimeout"/>), with its own reason (the holder is there, but busy), since a later try may well succeed.
    /// </summary>
    private async Task<Outcome<CohortSeed>> FitSeedAsync(IGrainFactory grains, RunDataset dataset, string modelId, string modelVersion, CommandContext context,
        TimeSpan within, CancellationToken bound)
    {
        var noSilo = Problem.Unavailable(NoLiveSilo(dataset));
        if (silos.LiveSilosOf(dataset.Institution).Count == 0) return noSilo;
        try
        {
            return await grains.GetGrain<ICohortSeedGrain>(DatasetKeys.For(dataset.Institution, dataset.Id))
                .FitAsync(dataset.Version, modelId, modelVersion, context, bound);
        }
        catch (Exception ex) when (ex is TimeoutException || (ex is OperationCanceledException && bound.IsCancellationRequested))
        {
            return Problem.Unavailable($"The cohort seed from '{dataset.Id}' was not fitted within {within} at the silos of '{dataset.Institution}' " +
                "(a busy silo, or a dataset slow to read); the fit was stopped there, and it is tried again.");
        }
        catch (Exception ex) when (ex is OrleansException or SiloUnavailableException)
        {
            return noSilo;
        }
    }
}
