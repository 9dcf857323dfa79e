using DthGrains.Contracts.Platform;
using DthGrains.Contracts.Runs;
using DthGrains.Domain.Platform;
using DthGrains.Domain.Runs;

namespace DthGrains.Domain.Tests.Runs;

public sealed class RunDecisionsTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 25, 10, 0, 0, TimeSpan.Zero);
    private static readonly Actor Carla = new("carla", "Carla", "tum", [Roles.Researcher]);

    private static RunRequest Cohort(int size = 60, int shardSize = 20, ulong seed = 7) =>
        new(RunKind.CohortTrial, "hovorka", Size: size, Seed: seed, Duration: 60, OutputStep: 10, ShardSize: shardSize);

    private static RunPlan PlanOf(RunRequest r)
    {
        var (plan, problem) = RunPlanner.Plan(r);
        problem.Should().BeNull();
        return plan!;
    }

    private static RunState Fold(RunState s, Decision d, ShardStatisticsFold? statistics = null)
    {
        d.Problem.Should().BeNull();
        // What the run grain does: the state folds every event; the statistics fold records each shard once.
        foreach (var shard in d.Events.OfType<ShardCompleted>()) statistics?.Record(shard);
        return d.Events.Aggregate(s, RunState.Evolve);
    }

    private static ShardStatisticsFold StatisticsOf(RunPlan plan) => new(plan.Times.Length * plan.Outputs.Length);

    private static ShardCompleted Shard(RunPlan plan, int i)
    {
        return RunPlanner.ExecuteShard(plan, i).ToShard("r1", i, plan.ShardRange(i), "test", 1, At);
    }

    private static RunState Submitted(RunPlan plan) =>
        Fold(RunState.Initial("r1"), RunDecisions.Submit(RunState.Initial("r1"), plan, Carla, [], [], At));

    private static RunState RunAll(RunPlan plan, IEnumerable<int> order)
    {
        var s = Submitted(plan);
        var statistics = StatisticsOf(plan);
        foreach (var i in order) s = Fold(s, RunDecisions.CompleteShard(s, Shard(plan, i), plan, statistics), statistics);
        return s;
    }

    /// <summary>
    /// Statistics this engine cannot merge never will be: the shard that would complete the run is recorded and the run
    /// fails with the reason. Refused, its worker would report it again and again, and the run would never end.
    /// </summary>
    [Fact]
    public void A_shard_whose_statistics_cannot_be_merged_fails_the_run_at_its_completion()
    {
        var plan = PlanOf(Cohort());
        var s = Submitted(plan);
        var statistics = StatisticsOf(plan);
        s = Fold(s, RunDecisions.CompleteShard(s, Shard(plan, 0), plan, statistics), statistics);
        var bad = Shard(plan, 1);
        s = Fold(s, RunDecisions.CompleteShard(s, bad with { Statistics = bad.Statistics! with { Format = "dth.partial/1" } }, plan, statistics), statistics);
        s.Status.Should().Be(RunStatus.Running, "recording it alone merges nothing");

        var last = RunDecisions.CompleteShard(s, Shard(plan, 2), plan, statistics);
        last.Problem.Should().BeNull();
        last.Events.Select(e => e.GetType()).Should().Equal(typeof(ShardCompleted), typeof(RunFailed));
        last.Events.OfType<RunFailed>().Single().Reason.Should().Contain("statistics of shard 1 cannot be merged");
        Fold(s, last, statistics).Status.Should().Be(RunStatus.Failed);
    }

    [Fact]
    public void Submission_records_the_provenance_and_starts()
    {
        var plan = PlanOf(Cohort());
        var s = Submitted(plan);
        s.Status.Should().Be(RunStatus.Running);
        s.Submitted!.ModelId.Should().Be("hovorka-2004");
        s.Submitted.EngineVersion.Should().StartWith("dthgrains-simulation/");
        s.Submitted.RequestHash.Should().MatchRegex("^[0-9a-f]{64}$");
        s.Submitted.Shards.Should().Be(3);
        s.Submitted.Request.Solver!.Method.Should().Be("auto");
    }

    /// <summary>
    /// The recorded shard carries the digest of its rows, and the rows detached, to be stored beside the stream: JSON
    /// (the stored body, the ledger hash) never sees them. The run's state keeps only the digest, and the result hash
    /// covers every row through it: a shard whose rows differ in one number gives another result hash.
    /// </summary>
    [Fact]
    public void The_event_and_the_state_keep_a_digest_of_the_rows_which_the_result_hash_covers()
    {
        var plan = PlanOf(Cohort());
        var s = Submitted(plan);
        var shard = Shard(plan, 0);
        var decided = RunDecisions.CompleteShard(s, shard, plan, StatisticsOf(plan));
        var recorded = decided.Events.OfType<ShardCompleted>().Single();
        recorded.Rows.Should().BeNull("the event pins the rows by digest");
        recorded.DetachedRows!.Data.Should().Equal(shard.Rows!.Data, "the rows go beside the stream");
        recorded.RowsDigest.Should().Be(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(shard.Rows.Data)));
        var json = System.Text.Json.JsonSerializer.Serialize(recorded, new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web));
        json.Should().Contain("\"rowsDigest\"").And.NotContainEquivalentOf("detachedRows").And.NotContain(Convert.ToBase64String(shard.Rows.Data[..48]));
        var state = Fold(s, decided);
        state.Shards[0].Rows.Should().BeNull("the state holds the digest, not the rows");
        state.Shards[0].DetachedRows.Should().BeNull("the state holds the digest, not the rows");
        state.Shards[0].RowsDigest.Should().Be(recorded.RowsDigest);
        state.Shards[0].Statistics!.Data.Should().BeEmpty("the state keeps the counts; the statistics are merged beside it");
        state.Shards[0].Statistics!.Individuals.Should().Be(20);

        var honest = RunAll(plan, [0, 1, 2]);
        var tampered = Submitted(plan);
        var statistics = StatisticsOf(plan);
        foreach (var i in new[] { 0, 1, 2 })
        {
            var next = Shard(plan, i);
            if (i == 1)
            {
                var data = (byte[])next.Rows!.Data.Clone();
                data[^1] ^= 1; // one bit of the last subject's final value
                next = next with { Rows = next.Rows with { Data = data } };
            }
            tampered = Fold(tampered, RunDecisions.CompleteShard(tampered, next, plan, statistics), statistics);
        }
        var (a, b) = (Completed(honest), Completed(tampered));
        b.ResultHash.Should().NotBe(a.ResultHash);
        b.Summary!.Mean.Should().Equal(a.Summary!.Mean, "only the rows differ");
    }

    /// <summary>A shard recorded before the digests (its rows in the state) hashes as one recorded with its digest.</summary>
    [Fact]
    public void A_shard_recorded_without_a_digest_counts_in_the_result_hash_as_one_with_it()
    {
        var plan = PlanOf(Cohort());
        var all = Enumerable.Range(0, 3).ToDictionary(i => i, i => Shard(plan, i));
        var withDigests = all.ToDictionary(p => p.Key, p => p.Value.Detached() with { DetachedRows = null });
        var s = Submitted(plan);
        RunDecisions.Complete(s, all, plan, At, StatisticsOf(plan), all.Values).ResultHash
            .Should().Be(RunDecisions.Complete(s, withDigests, plan, At, StatisticsOf(plan), withDigests.Values).ResultHash);
        // Without the digest the state keeps the rows, which the hash then needs.
        var legacy = all[0] with { RowsDigest = null };
        RunState.Evolve(s, legacy).Shards[0].Rows.Should().NotBeNull();
    }

    /// <summary>Rows read back from beside the stream are taken only if they are the ones the event's digest names.</summary>
    [Fact]
    public void Stored_rows_are_taken_back_only_when_they_match_the_recorded_digest()
    {
        var plan = PlanOf(Cohort());
        var original = Shard(plan, 1);
        var recorded = original.Detached() with { DetachedRows = null };
        recorded.WithStoredRows(original.Rows!).SubjectValues().Should().Equal(original.SubjectValues());

        var data = (byte[])original.Rows!.Data.Clone();
        data[8] ^= 0x10;
        var act = () => recorded.WithStoredRows(original.Rows with { Data = data });
        act.Should().Throw<InvalidDataException>().WithMessage("*shard 1*do not match the digest*");
        original.Detached().Should().BeEquivalentTo(original.Detached().Detached(), "detaching twice changes nothing");
    }

    private static RunCompleted Completed(RunState s)
    {
        s.Status.Should().Be(RunStatus.Completed);
        return s.Completed!;
    }

    [Fact]
    public void Shards_completed_in_any_order_give_bit_identical_results()
    {
        var plan = PlanOf(Cohort());
        var forward = RunAll(plan, [0, 1, 2]);
        var backward = RunAll(plan, [2, 0, 1]);
        forward.Status.Should().Be(RunStatus.Completed);
        backward.Completed!.ResultHash.Should().Be(forward.Completed!.ResultHash);
        backward.Completed.Summary!.Bands.Should().Equal(forward.Completed.Summary!.Bands);
        forward.Completed.Summary.Individuals.Should().Be(60);
    }

    [Fact]
    public void A_repeated_shard_is_never_counted_twice()
    {
        var plan = PlanOf(Cohort());
        var s = Submitted(plan);
        var shard = Shard(plan, 1);
        var statistics = StatisticsOf(plan);
        s = Fold(s, RunDecisions.CompleteShard(s, shard, plan, statistics), statistics);
        RunDecisions.CompleteShard(s, shard, plan, statistics).Events.Should().BeEmpty();
        RunState.Evolve(s, shard).SubjectsDone.Should().Be(20, "a duplicate in the stream is ignored by the fold too");
    }

    [Fact]
    public void Several_shards_in_one_decision_are_folded_in_order_each_counted_once_and_complete_the_run_bit_identically()
    {
        var plan = PlanOf(Cohort());
        var statistics = StatisticsOf(plan);
        var s = Fold(Submitted(plan), RunDecisions.CompleteShard(Submitted(plan), Shard(plan, 1), plan, statistics), statistics);
        var batch = RunDecisions.CompleteShards(s, [Shard(plan, 2), Shard(plan, 1), Shard(plan, 2), Shard(plan, 0)], plan, statistics);
        batch.Problem.Should().BeNull();
        batch.Events.Select(e => e.GetType().Name).Should().Equal(nameof(ShardCompleted), nameof(ShardCompleted), nameof(RunCompleted));
        batch.Events.OfType<ShardCompleted>().Select(e => e.Shard).Should().Equal(2, 0);
        var done = Fold(s, batch, statistics);
        done.Status.Should().Be(RunStatus.Completed);
        done.SubjectsDone.Should().Be(60);
        done.Completed!.ResultHash.Should().Be(RunAll(plan, [0, 1, 2]).Completed!.ResultHash);
        RunDecisions.CompleteShards(done, [Shard(plan, 0)], plan, statistics).Events.Should().BeEmpty("nothing counts after the run completed");

        var cancelled = Fold(s, RunDecisions.Cancel(s, Carla, "stop", At));
        RunDecisions.CompleteShards(cancelled, [Shard(plan, 0), Shard(plan, 2)], plan, statistics).Events.Should().BeEmpty();
        var wrong = Shard(plan, 0) with { To = 5 };
        RunDecisions.CompleteShards(s, [Shard(plan, 2), wrong], plan, statistics).Problem!.Kind.Should().Be(ProblemKind.Validation);
    }

    [Fact]
    public void No_shard_is_counted_after_a_cancellation()
    {
        var plan = PlanOf(Cohort());
        var s = Fold(Submitted(plan), RunDecisions.Cancel(Submitted(plan), Carla, "wrong cohort", At));
        s.Status.Should().Be(RunStatus.Cancelled);
        RunDecisions.CompleteShard(s, Shard(plan, 0), plan, StatisticsOf(plan)).Events.Should().BeEmpty();
        RunDecisions.Cancel(s, Carla, null, At).Problem!.Kind.Should().Be(ProblemKind.Conflict);
        RunDecisions.Cancel(Submitted(plan), new Actor("eve", "Eve", "tum", [Roles.Researcher]), null, At).Problem!.Kind.Should().Be(ProblemKind.NotFound);
    }

    [Fact]
    public void A_suspended_run_resumes_and_only_a_running_run_suspends()
    {
        var plan = PlanOf(Cohort());
        var s = Fold(Submitted(plan), RunDecisions.Suspend(Submitted(plan), "Grant grant-x expired.", "ds", At));
        s.Status.Should().Be(RunStatus.Suspended);
        s.StatusReason.Should().Contain("expired");
        RunDecisions.Suspend(s, "again", "ds", At).Events.Should().BeEmpty();
        RunDecisions.CompleteShard(s, Shard(plan, 0), plan, StatisticsOf(plan)).Events.Should().BeEmpty("nothing completes while suspended");
        s = Fold(s, RunDecisions.Resume(s, ["grant-y"], At));
        s.Status.Should().Be(RunStatus.Running);
        s.Grants.Should().Contain("grant-y");
    }

    [Theory]
    [InlineData(RunKind.Single)]
    [InlineData(RunKind.Sweep)]
    [InlineData(RunKind.MonteCarlo)]
    [InlineData(RunKind.ScenarioSet)]
    [InlineData(RunKind.Sensitivity)]
    public void Every_kind_runs_to_completion(RunKind kind)
    {
        var r = kind switch
        {
            RunKind.Single => new RunRequest(kind, "bergman", Duration: 60),
            RunKind.Sweep => new RunRequest(kind, "bergman", Duration: 60, Ranges: [new ParameterRange("p2", 0.01, 0.03)], PointsPerAxis: 5),
            RunKind.MonteCarlo => new RunRequest(kind, "bergman", Duration: 60, Size: 30, Uncertain: [new ParameterUncertainty("p2", 0.3)]),
            RunKind.ScenarioSet => new RunRequest(kind, "bergman", Scenarios: ["reference", "day"], Duration: 120),
            _ => new RunRequest(kind, "bergman", Duration: 60, Size: 16, Uncertain: [new ParameterUncertainty("p2", 0.3), new ParameterUncertainty("p3", 0.3)]),
        };
        var plan = PlanOf(r);
        var s = RunAll(plan, Enumerable.Range(0, plan.Shards));
        s.Status.Should().Be(RunStatus.Completed);
        if (kind == RunKind.Sensitivity) s.Completed!.Sensitivity!.Inputs.Should().Equal("p2", "p3");
        else s.Completed!.Summary!.Individuals.Should().Be(plan.Subjects);
    }

    private static RunRequest Sobol(int? shardSize = null) =>
        new(RunKind.Sensitivity, "bergman", Duration: 60, Size: 200, Seed: 3, ShardSize: shardSize,
            Uncertain: [new ParameterUncertainty("p2", 0.3), new ParameterUncertainty("p3", 0.3)]);

    [Fact]
    public void A_sensitivity_study_runs_in_shards_of_whole_base_samples_merged_in_shard_order()
    {
        var plan = PlanOf(Sobol());
        plan.Subjects.Should().Be(200 * 4, "each base sample takes d + 2 = 4 evaluations");
        plan.Shards.Should().BeGreaterThan(1);
        plan.ShardSize.Should().Be(plan.Request.ShardSize).And.Match(size => size % 4 == 0);

        var inOrder = RunAll(plan, Enumerable.Range(0, plan.Shards)).Completed!;
        var scrambled = RunAll(plan, Enumerable.Range(0, plan.Shards).Reverse()).Completed!;
        scrambled.Sensitivity.Should().BeEquivalentTo(inOrder.Sensitivity);
        scrambled.ResultHash.Should().Be(inOrder.ResultHash);
        var result = inOrder.Sensitivity!;
        (result.BaseSamples, result.Evaluations, result.Dropped).Should().Be((200, 800, 0));
        result.FirstOrder.Concat(result.Total).Should().OnlyContain(v => v.HasValue);
        result.FirstOrderError!.Concat(result.TotalError!).Should().OnlyContain(e => e > 0, "each index says how far to trust it");

        // The whole study in one shard: the same samples, summed in one group, so the same indices up to round-off.
        var whole = RunAll(PlanOf(Sobol(shardSize: 800)), [0]).Completed!.Sensitivity!;
        for (int i = 0; i < 2; i++)
        {
            whole.FirstOrder[i]!.Value.Should().BeApproximately(result.FirstOrder[i]!.Value, 1e-12);
            whole.Total[i]!.Value.Should().BeApproximately(result.Total[i]!.Value, 1e-12);
            whole.FirstOrderError![i]!.Value.Should().BeApproximately(result.FirstOrderError![i]!.Value, 1e-9);
        }
    }

    [Fact]
    public void A_sensitivity_study_analyses_the_output_and_statistic_it_names_and_says_so()
    {
        RunRequest Pkpd(SensitivityTarget? of) => new(RunKind.Sensitivity, "pkpd", Size: 64, Seed: 2, ShardSize: 64 * 4, SensitivityOf: of,
            Uncertain: [new ParameterUncertainty("CL", 0.3), new ParameterUncertainty("EC50", 0.3)]);
        var byDefault = PlanOf(Pkpd(null));
        byDefault.Request.SensitivityOf.Should().Be(new SensitivityTarget("Cc", "mean"), "the model's first output and its mean, written into the request");
        PlanOf(Pkpd(new SensitivityTarget("Cc"))).RequestHash.Should().Be(byDefault.RequestHash, "the defaults spelt out are the same request");

        var peakEffect = PlanOf(Pkpd(new SensitivityTarget("E", "max")));
        peakEffect.RequestHash.Should().NotBe(byDefault.RequestHash).And.NotBe(PlanOf(Pkpd(new SensitivityTarget("E", "auc"))).RequestHash);
        var effect = RunAll(peakEffect, [0]).Completed!.Sensitivity!;
        var concentration = RunAll(byDefault, [0]).Completed!.Sensitivity!;
        (effect.Output, effect.Statistic).Should().Be(("E", "max"));
        (concentration.Output, concentration.Statistic).Should().Be(("Cc", "mean"));
        // The peak effect depends on the potency (EC50); the mean concentration does not at all.
        effect.Total[1]!.Value.Should().BeGreaterThan(0.05);
        concentration.Total[1]!.Value.Should().BeLessThan(1e-9);
    }

    [Fact]
    public void A_study_of_several_targets_gives_each_the_indices_of_its_own_study_from_the_same_evaluations()
    {
        RunRequest Pkpd(SensitivityTarget of, SensitivityTarget[]? also = null, int shardSize = 64 * 4) => new(RunKind.Sensitivity, "pkpd", Size: 64, Seed: 2,
            ShardSize: shardSize, SensitivityOf: of, SensitivityAlso: also, Uncertain: [new ParameterUncertainty("CL", 0.3), new ParameterUncertainty("EC50", 0.3)]);
        // Spelt with defaults left out: normalised as the first target is.
        var several = PlanOf(Pkpd(new SensitivityTarget("Cc"), [new SensitivityTarget("E", "max"), new SensitivityTarget(Statistic: "auc")], shardSize: 16 * 4));
        several.Request.SensitivityAlso.Should().Equal(new SensitivityTarget("E", "max"), new SensitivityTarget("Cc", "auc"));
        several.Subjects.Should().Be(PlanOf(Pkpd(new SensitivityTarget("Cc"))).Subjects, "further targets cost no further evaluations");
        several.RequestHash.Should().NotBe(PlanOf(Pkpd(new SensitivityTarget("Cc"), shardSize: 16 * 4)).RequestHash);

        var completed = RunAll(several, Enumerable.Range(0, several.Shards).Reverse()).Completed!;
        var studies = new[] { completed.Sensitivity! }.Concat(completed.SensitivityAlso!).ToList();
        studies.Select(x => (x.Output, x.Statistic)).Should().Equal(("Cc", "mean"), ("E", "max"), ("Cc", "auc"));
        // Each target's indices are those of a study of that target alone, in the same shards, bit for bit.
        foreach (var study in studies)
        {
            var alone = RunAll(PlanOf(Pkpd(new SensitivityTarget(study.Output, study.Statistic), shardSize: 16 * 4)), Enumerable.Range(0, several.Shards)).Completed!.Sensitivity!;
            study.FirstOrder.Should().Equal(alone.FirstOrder, study.Output + ":" + study.Statistic);
            study.Total.Should().Equal(alone.Total);
            study.FirstOrderError.Should().Equal(alone.FirstOrderError);
        }
        completed.ResultHash.Should().NotBe(RunAll(PlanOf(Pkpd(new SensitivityTarget("Cc"), shardSize: 16 * 4)), Enumerable.Range(0, several.Shards)).Completed!.ResultHash,
            "the further indices are part of the results");
        // One target: no further indices, and the recorded request and hash as before further targets existed.
        var one = PlanOf(Pkpd(new SensitivityTarget("Cc")));
        one.Request.SensitivityAlso.Should().BeNull();
        RunAll(one, [0]).Completed!.SensitivityAlso.Should().BeNull();
    }

    [Theory]
    [InlineData("[]", "sensitivityAlso", "1 to 15 further")]
    [InlineData("[{\"output\": \"Ce2\"}]", "sensitivityAlso[0].output", "Its outputs: Cc, Ce, E")]
    [InlineData("[{\"output\": \"E\"}, {\"statistic\": \"median\"}]", "sensitivityAlso[1].statistic", "mean, final, min, max, auc")]
    [InlineData("[{\"output\": \"Cc\"}]", "sensitivityAlso", "'Cc:mean' is analysed twice")]
    [InlineData("[{\"output\": \"E\", \"statistic\": \"max\"}, {\"output\": \"E\", \"statistic\": \"max\"}]", "sensitivityAlso", "'E:max' is analysed twice")]
    public void Further_targets_that_cannot_be_analysed_are_refused_naming_which(string also, string field, string says)
    {
        var targets = System.Text.Json.JsonSerializer.Deserialize<SensitivityTarget[]>(also, new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web));
        var (_, problem) = RunPlanner.Plan(new RunRequest(RunKind.Sensitivity, "pkpd", Size: 8, Uncertain: [new ParameterUncertainty("CL", 0.3)], SensitivityAlso: targets));
        problem!.Errors![field].Should().Contain(m => m.Contains(says));
        RunPlanner.Plan(new RunRequest(RunKind.MonteCarlo, "pkpd", Size: 8, Uncertain: [new ParameterUncertainty("CL", 0.3)], SensitivityAlso: [new SensitivityTarget("E")]))
            .Problem!.Errors!["sensitivityAlso"].Single().Should().Contain("leave it out for a monte-carlo run");
    }

    [Theory]
    [InlineData("sensitivity", "Ce2", null, "sensitivityOf.output", "Its outputs: Cc, Ce, E")]
    [InlineData("sensitivity", "E", "median", "sensitivityOf.statistic", "mean, final, min, max, auc")]
    [InlineData("monte-carlo", "E", null, "sensitivityOf", "leave it out for a monte-carlo run")]
    public void A_sensitivity_target_that_cannot_be_analysed_is_refused_naming_what_can(string kind, string output, string? statistic, string field, string says)
    {
        var (_, problem) = RunPlanner.Plan(new RunRequest(kind == "sensitivity" ? RunKind.Sensitivity : RunKind.MonteCarlo, "pkpd", Size: 8,
            Uncertain: [new ParameterUncertainty("CL", 0.3)], SensitivityOf: new SensitivityTarget(output, statistic)));
        problem!.Errors![field].Single().Should().Contain(says);
    }

    [Fact]
    public void A_sensitivity_shard_size_that_would_split_a_base_sample_is_refused_with_the_sizes_that_fit()
    {
        var (_, problem) = RunPlanner.Plan(Sobol(shardSize: 50));
        problem!.Errors!["shardSize"].Single().Should().Contain("multiple of 4");
    }

    [Fact]
    public void A_sensitivity_run_recorded_before_shards_carried_sums_completes_with_its_one_shards_indices()
    {
        var plan = PlanOf(Sobol(shardSize: 800));
        var legacy = new SensitivityResult("G", ["p2", "p3"], [0.5, 0.25], [0.6, 0.3], 2.0, 200, 800);
        var shard = new ShardCompleted("r1", 0, 0, 800, null, null, legacy, "old-silo", 1, At);
        var s = Fold(Submitted(plan), RunDecisions.CompleteShard(Submitted(plan), shard, plan, StatisticsOf(plan)));
        s.Completed!.Sensitivity.Should().Be(legacy);
    }

    [Fact]
    public void Bad_requests_name_their_fields()
    {
        RunPlanner.Plan(new RunRequest(RunKind.CohortTrial, "nope")).Problem!.Errors!.Should().ContainKey("model");
        var p = RunPlanner.Plan(new RunRequest(RunKind.CohortTrial, "hovorka", Datasets: ["ds"], Solver: new RunSolverSettings("euler", -1))).Problem!;
        p.Errors!.Keys.Should().Contain(["size", "purpose", "solver.method", "solver"]);
        RunPlanner.Plan(new RunRequest(RunKind.Sweep, "bergman", Ranges: [new ParameterRange("zz", 1, 0)], Size: 5)).Problem!.Errors!.Should().ContainKey("ranges");
    }

    [Fact]
    public void The_rows_of_an_ended_run_are_released_once_by_its_owner_a_platform_admin_or_the_system()
    {
        var plan = PlanOf(Cohort());
        var running = Submitted(plan);
        RunDecisions.ReleaseRows(running, Carla, null, At).Problem!.Kind.Should().Be(ProblemKind.Conflict, "a run still running keeps its rows");
        var done = RunAll(plan, [0, 1, 2]);
        RunDecisions.ReleaseRows(done, new Actor("eve", "Eve", "tum", [Roles.Researcher]), null, At).Problem!.Kind.Should().Be(ProblemKind.NotFound);
        RunDecisions.ReleaseRows(done, new Actor("audrey", "Audrey", "tum", [Roles.Auditor]), null, At).Problem!.Kind.Should().Be(ProblemKind.Forbidden, "auditors read, they do not delete");
        RunDecisions.ReleaseRows(done, Carla, new string('x', 1001), At).Problem!.Kind.Should().Be(ProblemKind.Validation);
        RunDecisions.ReleaseRows(done, new Actor("pat", "Pat", "bsc", [Roles.PlatformAdmin]), "disk full", At).Events.Should().ContainSingle();
        RunDecisions.ReleaseRows(done, Actor.System(), "retention", At).Events.Should().ContainSingle();

        var released = Fold(done, RunDecisions.ReleaseRows(done, Carla, "  done with them ", At));
        released.RowsReleased.Should().BeEquivalentTo(new RunRowsReleased("r1", "carla", "done with them", 3, At));
        released.Status.Should().Be(RunStatus.Completed);
        released.Completed!.ResultHash.Should().Be(done.Completed!.ResultHash, "what the ledger pins stays");
        RunDecisions.ReleaseRows(released, Carla, null, At).Events.Should().BeEmpty("released once");
        var cancelled = Fold(running, RunDecisions.Cancel(running, Carla, "stop", At));
        RunDecisions.ReleaseRows(cancelled, Carla, null, At).Events.Should().ContainSingle().Which.Should().BeOfType<RunRowsReleased>().Which.Shards.Should().Be(0);
    }

    [Fact]
    public void Shards_are_handed_out_in_order_and_never_too_far_past_a_missing_one()
    {
        var plan = PlanOf(Cohort(size: 200, shardSize: 10)); // 20 shards
        var s = Submitted(plan);
        s.NextShards(new HashSet<int>(), slots: 4, ahead: 8).Should().Equal(0, 1, 2, 3);
        s.NextShards(new HashSet<int> { 0, 2 }, slots: 3, ahead: 8).Should().Equal(new[] { 1, 3, 4 }, "in flight are skipped");
        s.NextShards(new HashSet<int>(), slots: 0, ahead: 8).Should().BeEmpty();

        // Shard 0 is lost with its silo (still in flight, not recorded); 1..7 are recorded and wait behind it.
        s = RunAll(plan, Enumerable.Range(1, 7));
        s.NextShards(new HashSet<int> { 0 }, slots: 8, ahead: 8).Should().BeEmpty("nothing more may wait behind shard 0 than 8 shards' worth");
        s.NextShards(new HashSet<int> { 0 }, slots: 8, ahead: 10).Should().Equal(8, 9);
        // Once shard 0 is recorded, the window moves on past the shards done.
        s = RunAll(plan, Enumerable.Range(0, 8));
        s.NextShards(new HashSet<int>(), slots: 8, ahead: 4).Should().Equal(8, 9, 10, 11);
        RunAll(plan, Enumerable.Range(0, 20)).NextShards(new HashSet<int>(), slots: 8, ahead: 8).Should().BeEmpty("all done");
    }
}
