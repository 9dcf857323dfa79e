using DthGrains.Contracts.Catalogue;
using DthGrains.Contracts.Platform;
using DthGrains.Contracts.Twins;
using DthGrains.Domain.Platform;
using DthGrains.Domain.Twins;

namespace DthGrains.Domain.Tests.Twins;

public sealed class TwinDecisionsTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);
    private static readonly Actor Carla = new("carla-researcher", "Carla", "tum", ["researcher"]);
    private static readonly TwinDesign Design = new("Carla's twin", "hovorka-2004", null, "Does a lighter breakfast keep glucose in range?",
        "Exploring meal plans for one adult with type 1 diabetes in research.", "scientific-research", 2, 1);
    private static readonly TwinObservationWindow Window = new("LOINC 15074-8", 576, T0.AddDays(-3), T0.AddDays(-1));

    private static TwinState Apply(TwinState s, Decision d)
    {
        d.Problem.Should().BeNull(d.Problem?.Detail);
        return d.Events.Aggregate(s, TwinState.Evolve);
    }

    private static TwinState Designed() => Apply(TwinState.Initial("t1"), TwinDecisions.Design(TwinState.Initial("t1"), Design, Carla, "1.0.0", "engine-1", 3, T0));

    private static TwinState Linked(TwinState? s = null)
    {
        s ??= Designed();
        return Apply(s, TwinDecisions.Link(s, new TwinDataLink("charite-t1d-synthetic", null, "synth-00001"),
            new LinkFacts("1.0.0", "charite", "grant-1", Window, 9, 9, 0.9, 71.5, [], []), T0));
    }

    private static TwinState Calibrated(TwinState? s = null, string engine = "engine-1", string model = "1.0.0")
    {
        s ??= Linked();
        return Apply(s, TwinDecisions.Calibrate(s, new CalibrationFacts(model, engine, [new TwinParameter("SIT", 0.005, 0.0002, "1/min per mU/L", 5e-4, 2e-2)],
            new TwinFit(true, 12, 560, 1.01, 0.6), Window, "hash-cal"), T0));
    }

    private static TwinState Validated(bool pass = true, TwinState? s = null)
    {
        s ??= Calibrated();
        var metrics = pass ? new TwinMetrics(0.7, 0.5, 8, 0.1, 0.93, 288) : new TwinMetrics(3, 2.5, 31, 2.2, 0.4, 288);
        return Apply(s, TwinDecisions.Validate(s, new ValidationFacts(metrics, Window with { Count = 288 }, "hash-val"), T0));
    }

    private static DependencyFacts Fresh => new("1.0.0", "1.0.0", true, null, "engine-1");

    /// <summary>
    /// A recalibration moves the twin onto the model's latest version: the credibility record cites that version and its
    /// own model-form level, not the one the twin was designed on (level 3 for 1.0.0 here).
    /// </summary>
    [Fact]
    public void After_recalibration_on_a_new_model_version_the_credibility_cites_that_version_s_model_form()
    {
        var s = Linked();
        s = Apply(s, TwinDecisions.Calibrate(s, new CalibrationFacts("2.0.0", "engine-1", [new TwinParameter("SIT", 0.005, 0.0002, "1/min per mU/L", 5e-4, 2e-2)],
            new TwinFit(true, 12, 560, 1.01, 0.6), Window, "hash-cal", ModelCredibilityLevel: 2), T0));

        var form = s.ToView().Credibility.Factors.Single(f => f.Factor == CredibilityFactor.ModelForm);
        form.Achieved.Should().Be(2);
        form.Evidence.Should().ContainSingle().Which.Should().Contain("@2.0.0").And.Contain("level 2");
        Calibrated().ToView().Credibility.Factors.Single(f => f.Factor == CredibilityFactor.ModelForm).Evidence.Single().Should().Contain("@1.0.0: model form achieved level 3");
    }

    [Theory]
    [InlineData("Pt.A7", true)]
    [InlineData("synth-00001", true)]
    [InlineData("", false)]
    [InlineData("has space", false)]
    [InlineData("under_score", false)]
    public void A_subject_is_named_by_its_fhir_patient_id(string subject, bool valid) =>
        (TwinDecisions.CanLink(Designed(), new TwinDataLink("charite-t1d-synthetic", null, subject)) is null).Should().Be(valid);

    [Fact]
    public void A_twin_whose_model_was_withdrawn_links_no_data()
    {
        var s = Designed();
        s = Apply(s, TwinDecisions.CheckDependencies(s, Fresh with { ModelWithdrawnBecause = "unsafe dosing" }, T0));

        var refused = TwinDecisions.CanLink(s, new TwinDataLink("charite-t1d-synthetic", null, "synth-00001"))!;
        refused.Kind.Should().Be(ProblemKind.Conflict);
        refused.Detail.Should().Contain("unsafe dosing");
    }

    /// <summary>
    /// A grant covers the version its application named: a twin linked to that older version, while a newer one was
    /// already released, is not stale for it (it could never be calibrated); a version released after the link is.
    /// </summary>
    [Fact]
    public void An_older_version_linked_on_purpose_is_stale_only_for_versions_released_after_the_link()
    {
        var s = Designed();
        s = Apply(s, TwinDecisions.Link(s, new TwinDataLink("charite-t1d-synthetic", "1.0.0", "synth-00001"),
            new LinkFacts("1.0.0", "charite", "grant-1", Window, 9, 9, 0.9, 71.5, [], [], LatestVersion: "2.0.0"), T0));

        TwinDecisions.CheckDependencies(s, Fresh with { DatasetLatestVersion = "2.0.0" }, T0).Events.Should().BeEmpty();
        TwinDecisions.CanCalibrate(s).Should().BeNull();
        TwinDecisions.CheckDependencies(s, Fresh with { DatasetLatestVersion = "3.0.0" }, T0).Events.Should().ContainSingle()
            .Which.Should().BeOfType<TwinMarkedStale>().Which.Cause.Should().Be(StaleCauses.DatasetVersion);
        // A link recorded before the latest version was (null): as before, any other latest version is news.
        TwinDecisions.CheckDependencies(Linked(), Fresh with { DatasetLatestVersion = "2.0.0" }, T0).Events.Should().ContainSingle();
    }

    /// <summary>
    /// An export computes on the patient's personalised parameters: the owner's alone, and only while the data may be
    /// used, asked at the moment of the export, also for a retired twin (which is no longer checked for staleness).
    /// </summary>
    [Fact]
    public void Only_the_owner_exports_and_only_while_grant_dataset_and_model_allow_it_even_when_retired()
    {
        var s = Validated();
        TwinDecisions.MayExport(s, Fresh, Carla).Should().BeNull();
        TwinDecisions.MayExport(s, Fresh, new Actor("dan", "Dan", "dth-oversight", ["auditor"]))!.Kind.Should().Be(ProblemKind.Forbidden);

        var retired = Apply(s, TwinDecisions.Retire(s, "Study ended.", Carla, T0));
        TwinDecisions.CheckDependencies(retired, Fresh with { GrantLive = false, GrantProblem = "revoked: consent withdrawn" }, T0).Events.Should().BeEmpty("a retired twin is not checked");
        var revoked = TwinDecisions.MayExport(retired, Fresh with { GrantLive = false, GrantProblem = "revoked: consent withdrawn" }, Carla)!;
        revoked.Kind.Should().Be(ProblemKind.Conflict);
        revoked.Detail.Should().Contain("revoked: consent withdrawn");
        TwinDecisions.MayExport(retired, Fresh with { DatasetWithdrawnBecause = "consent withdrawn" }, Carla)!.Detail.Should().Contain("was withdrawn by its publisher (consent withdrawn)");
        TwinDecisions.MayExport(retired, Fresh with { ModelWithdrawnBecause = "unsafe" }, Carla)!.Detail.Should().Contain("withdrawn from the catalogue (unsafe)");
        TwinDecisions.MayExport(retired, Fresh, Carla).Should().BeNull("a retired twin's recorded tests still export while the data may be used");
        // A grant not live for no recorded reason (it does not permit simulate): refused, not thrown.
        TwinDecisions.MayExport(retired, Fresh with { GrantLive = false }, Carla)!.Detail.Should().Contain("the grant is not live");
    }

    [Fact]
    public void The_lifecycle_runs_from_design_to_retirement_and_every_step_names_what_it_used()
    {
        var s = Validated();
        s = Apply(s, TwinDecisions.TestScenario(s, new ScenarioFacts("sc-1", new TwinScenario("light breakfast", 24, [new TwinMeal(420, 30, 3)]),
            new TwinScenarioSummary(7, 4, 11, 90, 0, 10, "mmol/L"), "hash-sc", "local"), T0));
        s = Apply(s, TwinDecisions.Activate(s, Carla, T0));
        s.Status.Should().Be(TwinStatus.Active);
        var retired = TwinDecisions.Retire(s, "Study ended.", Carla, T0);
        retired.Events.Should().ContainSingle().Which.Should().BeOfType<TwinRetired>();
        Apply(s, retired).Status.Should().Be(TwinStatus.Retired);

        var scenario = s.Scenarios.Single();
        scenario.ModelId.Should().Be("hovorka-2004");
        scenario.ModelVersion.Should().Be("1.0.0");
        scenario.EngineVersion.Should().Be("engine-1");
        scenario.DatasetId.Should().Be("charite-t1d-synthetic");
        scenario.DatasetVersion.Should().Be("1.0.0");
        scenario.SubjectPseudonym.Should().Be("synth-00001");
        scenario.GrantId.Should().Be("grant-1");
        scenario.CalibrationRequestHash.Should().Be("hash-cal");
        scenario.RequestHash.Should().Be("hash-sc");
        s.Validation!.CalibrationRequestHash.Should().Be("hash-cal");
    }

    [Fact]
    public void Steps_out_of_order_are_refused_with_a_conflict()
    {
        TwinDecisions.CanCalibrate(Designed())!.Kind.Should().Be(ProblemKind.Conflict);
        TwinDecisions.CanValidate(Linked())!.Kind.Should().Be(ProblemKind.Conflict);
        TwinDecisions.Activate(Calibrated(), Carla, T0).Problem!.Kind.Should().Be(ProblemKind.Conflict);
        TwinDecisions.CanTestScenario(Calibrated(), new TwinScenario("x", 24, []))!.Kind.Should().Be(ProblemKind.Conflict);
        TwinDecisions.Design(Designed(), Design, Carla, "1.0.0", "e", null, T0).Problem!.Kind.Should().Be(ProblemKind.Conflict);
        TwinDecisions.CanCalibrate(TwinState.Initial("nope"))!.Kind.Should().Be(ProblemKind.NotFound);
    }

    [Fact]
    public void A_twin_that_fails_validation_cannot_be_activated_and_says_why()
    {
        var s = Validated(pass: false);
        s.Validation!.Passed.Should().BeFalse();
        s.Validation.Failures.Should().Contain(f => f.Contains("MARD")).And.Contain(f => f.Contains("bias")).And.Contain(f => f.Contains("coverage"));
        TwinDecisions.Activate(s, Carla, T0).Problem!.Detail.Should().Contain("failed validation");
    }

    [Fact]
    public void Bad_designs_and_scenarios_are_refused_field_by_field()
    {
        var bad = TwinDecisions.Design(TwinState.Initial("t"), Design with { Name = "", ModelId = "Not An Id", Purpose = "fun", ModelInfluence = 7 },
            Carla, "1.0.0", "e", null, T0).Problem!;
        bad.Kind.Should().Be(ProblemKind.Validation);
        bad.Errors!.Keys.Should().Contain(["name", "modelId", "purpose", "modelInfluence"]);
        var scenario = TwinDecisions.CanTestScenario(Validated(), new TwinScenario("", -1, [new TwinMeal(-5, 1000)]))!;
        scenario.Errors!.Keys.Should().Contain(["name", "hours", "meals[0].atMinute", "meals[0].carbohydrate"]);
        // A meal past the end names the minutes the scenario has.
        TwinDecisions.CanTestScenario(Validated(), new TwinScenario("late", 24, [new TwinMeal(99_999, 25)]))!.Errors!["meals[0].atMinute"]
            .Should().ContainSingle().Which.Should().Contain("within the scenario's 24 h: 0 to 1440");
        TwinDecisions.CanLink(Designed(), new TwinDataLink("charite-t1d-synthetic", null, "Jane Doe 1970-01-01"))!.Errors!.Keys.Should().Contain("subject");
    }

    [Fact]
    public void A_twin_calibrated_under_the_engines_older_spelling_is_on_the_same_engine_and_not_stale()
    {
        // Twins recorded the library by its assembly name until session 16; runs and new twins as dthgrains-simulation.
        var validated = Validated(s: Calibrated(engine: "DthGrains.Simulation/1.1.0"));
        var older = Apply(validated, TwinDecisions.Activate(validated, Carla, T0));
        TwinDecisions.CheckDependencies(older, Fresh with { EngineVersion = "dthgrains-simulation/1.1.0" }, T0).Events.Should().BeEmpty();
        TwinDecisions.CheckDependencies(older, Fresh with { EngineVersion = "dthgrains-simulation/1.2.0" }, T0).Events
            .Should().ContainSingle().Which.Should().BeOfType<TwinMarkedStale>().Which.Cause.Should().Be(StaleCauses.EngineVersion);
    }

    [Theory]
    [InlineData(StaleCauses.ModelVersion)]
    [InlineData(StaleCauses.EngineVersion)]
    [InlineData(StaleCauses.DatasetVersion)]
    [InlineData(StaleCauses.Grant)]
    [InlineData(StaleCauses.ModelWithdrawn)]
    [InlineData(StaleCauses.DatasetWithdrawn)]
    public void A_change_underneath_marks_an_active_twin_stale_once_with_the_reason_and_it_cannot_be_active(string cause)
    {
        var s = Apply(Validated(), TwinDecisions.Activate(Validated(), Carla, T0));
        var facts = cause switch
        {
            StaleCauses.ModelVersion => Fresh with { ModelLatestVersion = "1.1.0" },
            StaleCauses.EngineVersion => Fresh with { EngineVersion = "engine-2" },
            StaleCauses.DatasetVersion => Fresh with { DatasetLatestVersion = "2.0.0" },
            StaleCauses.ModelWithdrawn => Fresh with { ModelWithdrawnBecause = "unsafe insulin dynamics" },
            StaleCauses.DatasetWithdrawn => Fresh with { DatasetWithdrawnBecause = "consent withdrawn" },
            _ => Fresh with { GrantLive = false, GrantProblem = "revoked by charite: breach" },
        };
        TwinDecisions.CheckDependencies(s, Fresh, T0).Events.Should().BeEmpty("nothing changed");

        var marked = TwinDecisions.CheckDependencies(s, facts, T0);
        var stale = marked.Events.Should().ContainSingle().Which.Should().BeOfType<TwinMarkedStale>().Subject;
        stale.Cause.Should().Be(cause);
        stale.Reason.Should().NotBeNullOrWhiteSpace();
        s = Apply(s, marked);

        s.Status.Should().Be(TwinStatus.Stale);
        s.Stage.Should().NotBe(TwinStage.Active);
        TwinDecisions.CheckDependencies(s, facts, T0).Events.Should().BeEmpty("the same cause is recorded once");
        TwinDecisions.Activate(s, Carla, T0).Problem!.Detail.Should().Contain("stale");
        TwinDecisions.CanTestScenario(s, new TwinScenario("x", 24, []))!.Kind.Should().Be(ProblemKind.Conflict);
        s.ToView().Credibility.Factors.Single(f => f.Factor == CredibilityFactor.OutputComparison).Achieved.Should().Be(0);
        s.ToView().Credibility.Header.AdequacyAssessment.Should().Contain("stale");
    }

    /// <summary>A withdrawn model is not a newer one: nothing clears it, and the twin is not calibrated on it again.</summary>
    [Fact]
    public void A_withdrawn_model_s_twin_stays_stale_and_is_not_calibrated_again()
    {
        var s = Apply(Validated(), TwinDecisions.CheckDependencies(Validated(), Fresh with { ModelWithdrawnBecause = "unsafe insulin dynamics" }, T0));
        TwinDecisions.CanCalibrate(s)!.Detail.Should().Contain("unsafe insulin dynamics").And.Contain("retire");
        s.StaleReasons.Single().Reason.Should().Contain("withdrawn");
    }

    [Fact]
    public void Recalibrating_at_the_new_model_version_and_revalidating_clears_model_staleness()
    {
        var s = Apply(Validated(), TwinDecisions.CheckDependencies(Validated(), Fresh with { ModelLatestVersion = "1.1.0" }, T0));
        TwinDecisions.CanValidate(s)!.Detail.Should().Contain("recalibrate");
        s = Validated(s: Calibrated(s, model: "1.1.0"));
        s.IsStale.Should().BeFalse();
        s.ModelVersion.Should().Be("1.1.0");
        Apply(s, TwinDecisions.Activate(s, Carla, T0)).Status.Should().Be(TwinStatus.Active);
    }

    [Fact]
    public void A_revoked_grant_needs_the_data_linked_again_before_recalibration()
    {
        var s = Apply(Validated(), TwinDecisions.CheckDependencies(Validated(), Fresh with { GrantLive = false, GrantProblem = "revoked" }, T0));
        TwinDecisions.CanCalibrate(s)!.Detail.Should().Contain("link the data again");
        s = Linked(s);
        s.IsStale.Should().BeFalse();
        s.Stage.Should().Be(TwinStage.DataLinked);
        s.Calibration.Should().BeNull("the calibration rested on the old link");
    }

    /// <summary>A withdrawn dataset is read by nobody: recalibration is refused until a subject of other data is linked.</summary>
    [Fact]
    public void A_withdrawn_dataset_s_twin_links_other_data_before_recalibration()
    {
        var s = Apply(Validated(), TwinDecisions.CheckDependencies(Validated(), Fresh with { DatasetWithdrawnBecause = "consent withdrawn" }, T0));
        s.StaleReasons.Single().Reason.Should().Contain("withdrawn").And.Contain("consent withdrawn");
        TwinDecisions.CanCalibrate(s)!.Detail.Should().Contain("another dataset");
        s = Linked(s);
        s.IsStale.Should().BeFalse("linking data clears the data's causes");
        TwinDecisions.CanCalibrate(s).Should().BeNull();
    }

    /// <summary>A deprecated model is superseded, not wrong: the twin is told once, stays active and keeps working.</summary>
    [Fact]
    public void A_deprecated_model_is_noted_once_without_making_the_twin_stale()
    {
        var active = Apply(Validated(), TwinDecisions.Activate(Validated(), Carla, T0));
        var facts = Fresh with { ModelDeprecatedBecause = "superseded by hovorka-2010" };

        var noted = TwinDecisions.CheckDependencies(active, facts, T0);
        noted.Events.Should().ContainSingle().Which.Should().BeOfType<TwinModelDeprecationNoted>().Which.Reason.Should().Be("superseded by hovorka-2010");
        var s = Apply(active, noted);

        s.Status.Should().Be(TwinStatus.Active);
        s.IsStale.Should().BeFalse();
        s.ToView().Notices.Should().ContainSingle().Which.Should().Contain("deprecated").And.Contain("superseded by hovorka-2010");
        TwinDecisions.CheckDependencies(s, facts, T0).Events.Should().BeEmpty("noted once");
        TwinDecisions.CanTestScenario(s, new TwinScenario("x", 24, [])).Should().BeNull("a deprecated model still works");
        TwinDecisions.CanCalibrate(s).Should().BeNull();
        Validated().ToView().Notices.Should().BeEmpty();
    }

    [Fact]
    public void The_credibility_record_is_filled_from_the_evidence_and_requires_more_as_risk_rises()
    {
        var designed = Designed().ToView().Credibility;
        designed.Factors.Should().HaveCount(13);
        designed.Factors.Single(f => f.Factor == CredibilityFactor.OutputComparison).Achieved.Should().Be(0);
        designed.Factors.Single(f => f.Factor == CredibilityFactor.NumericalCodeVerification).Evidence.Should().ContainSingle(e => e.Contains("engine-1"));

        var validated = Validated().ToView().Credibility;
        validated.Factors.Single(f => f.Factor == CredibilityFactor.OutputComparison).Achieved.Should().Be(3);
        validated.Factors.Single(f => f.Factor == CredibilityFactor.ModelInputs).Evidence.Single().Should().Contain("576 glucose observations");
        validated.Factors.Should().OnlyContain(f => f.Required == TwinCredibility.Required(2));
        TwinCredibility.Required(9).Should().BeGreaterThan(TwinCredibility.Required(2));
    }
}
