using DthGrains.Contracts.Runs;
using DthGrains.Domain.Runs;

namespace DthGrains.Domain.Tests.Runs;

/// <summary>Inline what-if plans of glucose models in run requests: validated field by field, normalised, hashed.</summary>
public sealed class RunPlanTests
{
    private static RunRequest Single(RunWhatIfPlan? plan, string model = "hovorka", string? scenario = null, RunKind kind = RunKind.Single) =>
        new(kind, model, Scenario: scenario, OutputStep: 5, Plan: plan, Scenarios: kind == RunKind.ScenarioSet ? ["reference"] : null);

    private static readonly RunWhatIfPlan Breakfast = new(24, 0.9, [new RunPlanMeal(420, 45, 4.5), new RunPlanMeal(720, 60)]);

    [Theory]
    [InlineData("bergman")]
    [InlineData("hovorka")]
    [InlineData("windkessel")]
    [InlineData("pkpd")]
    public void Every_shipped_model_plans_a_run_that_names_only_the_model(string model)
    {
        var (plan, problem) = RunPlanner.Plan(new RunRequest(RunKind.Single, model));

        problem.Should().BeNull(problem?.Errors is { } e ? string.Join("; ", e.SelectMany(x => x.Value)) : null);
        plan!.Times.Length.Should().BeInRange(2, RunPlanner.MaxTimes + 1);
    }

    [Fact]
    public void A_plan_becomes_the_runs_scenario_normalised_and_in_the_hash()
    {
        var (plan, problem) = RunPlanner.Plan(Single(Breakfast));
        problem.Should().BeNull();
        plan!.Request.Scenario.Should().BeNull();
        plan.Request.Plan!.Name.Should().Be("what-if");
        plan.Request.Plan.Meals!.Select(m => m.BolusUnits).Should().Equal(4.5, 0.0);
        plan.Request.Duration.Should().Be(24 * 60);
        plan.Times.Should().HaveCount(24 * 12 + 1);
        plan.Scenario.Events.Should().HaveCount(4, "the basal rate, two meals and one bolus");

        // Replanning the normalised request gives the same hash; any change of the plan changes it.
        RunPlanner.Plan(plan.Request).Plan!.RequestHash.Should().Be(plan.RequestHash);
        var other = RunPlanner.Plan(Single(Breakfast with { Meals = [new RunPlanMeal(420, 45, 4.5), new RunPlanMeal(720, 61)] })).Plan!;
        other.RequestHash.Should().NotBe(plan.RequestHash);
        RunPlanner.Plan(Single(Breakfast with { BasalUnitsPerHour = 1.0 })).Plan!.RequestHash.Should().NotBe(plan.RequestHash);
        RunPlanner.Plan(Single(null)).Plan!.RequestHash.Should().NotBe(plan.RequestHash);
    }

    [Theory]
    [InlineData("hours")]
    [InlineData("basal")]
    [InlineData("carbohydrate")]
    [InlineData("atMinute")]
    [InlineData("bolus")]
    public void Wrong_plans_are_refused_naming_the_field(string wrong)
    {
        var (plan, field) = wrong switch
        {
            "hours" => (Breakfast with { Hours = 0, Meals = [] }, "plan.hours"),
            "basal" => (Breakfast with { BasalUnitsPerHour = -1 }, "plan.basalUnitsPerHour"),
            "carbohydrate" => (Breakfast with { Meals = [new RunPlanMeal(420, 500)] }, "plan.meals[0].carbohydrate"),
            "atMinute" => (Breakfast with { Meals = [new RunPlanMeal(420, 40), new RunPlanMeal(24 * 60 + 1, 40)] }, "plan.meals[1].atMinute"),
            _ => (Breakfast with { Meals = [new RunPlanMeal(420, 40, -2)] }, "plan.meals[0].bolusUnits"),
        };
        var (_, problem) = RunPlanner.Plan(Single(plan));
        problem.Should().NotBeNull();
        problem!.Errors!.Keys.Should().Equal(field);
    }

    [Fact]
    public void A_plan_is_for_glucose_models_and_replaces_a_named_scenario()
    {
        RunPlanner.Plan(Single(Breakfast, model: "windkessel")).Problem!.Errors!.Keys.Should().Equal("plan");
        RunPlanner.Plan(Single(Breakfast, scenario: "reference")).Problem!.Errors!.Keys.Should().Equal("plan");
        RunPlanner.Plan(Single(Breakfast, kind: RunKind.ScenarioSet)).Problem!.Errors!.Keys.Should().Contain("plan");
    }
}
