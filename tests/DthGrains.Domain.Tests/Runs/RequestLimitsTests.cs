using DthGrains.Contracts.Runs;
using DthGrains.Domain.Runs;

namespace DthGrains.Domain.Tests.Runs;

/// <summary>
/// A caller's numbers at and past every edge get a problem naming the field, never an exception: the planner runs
/// before anything is recorded, and an exception there was a 500 (a negative duration, found by hand).
/// </summary>
public sealed class RequestLimitsTests
{
    private static readonly double[] Edges = [-1, 0, 1e-300, double.NaN, double.PositiveInfinity, double.NegativeInfinity, 1e300, -1e300];

    private static readonly RunRequest Cohort = new(RunKind.CohortTrial, "hovorka", Size: 10);

    public static TheoryData<string, RunRequest> Requests()
    {
        var data = new TheoryData<string, RunRequest>();
        foreach (var x in Edges)
        {
            data.Add("duration", Cohort with { Duration = x });
            data.Add("outputStep", Cohort with { OutputStep = x });
            data.Add("outputStep", Cohort with { Duration = 1440, OutputStep = x });
            data.Add("duration", Cohort with { Duration = x, OutputStep = x });
            data.Add("solver", Cohort with { Solver = new RunSolverSettings(RelativeTolerance: x) });
            data.Add("solver", Cohort with { Solver = new RunSolverSettings(AbsoluteTolerance: x) });
            data.Add("solver", Cohort with { Solver = new RunSolverSettings(MaxStep: x) });
            data.Add("percentiles", Cohort with { Percentiles = [x] });
            data.Add("ranges", new RunRequest(RunKind.Sweep, "hovorka", Size: 10, Ranges: [new ParameterRange("SIT", x, 1)]));
            data.Add("ranges", new RunRequest(RunKind.Sweep, "hovorka", Size: 10, Ranges: [new ParameterRange("SIT", 0.001, x)]));
            data.Add("uncertain", new RunRequest(RunKind.MonteCarlo, "hovorka", Size: 10, Uncertain: [new ParameterUncertainty("SIT", x)]));
            data.Add("parameters", Cohort with { Kind = RunKind.Single, Size = null, Parameters = new Dictionary<string, double> { ["Gtarget"] = x } });
        }
        foreach (var n in new[] { int.MinValue, -1, 0, int.MaxValue })
        {
            data.Add("size", Cohort with { Size = n });
            data.Add("shardSize", Cohort with { ShardSize = n });
            data.Add("pointsPerAxis", new RunRequest(RunKind.Sweep, "hovorka", PointsPerAxis: n, Ranges: [new ParameterRange("SIT", 0.001, 0.01)]));
            data.Add("solver", Cohort with { Solver = new RunSolverSettings(MaxSteps: n) });
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Requests))]
    public void Numbers_past_an_edge_are_a_problem_or_a_plan_never_an_exception(string field, RunRequest request)
    {
        var planned = () => RunPlanner.Plan(request);
        var (plan, problem) = planned.Should().NotThrow().Subject;
        (plan is null).Should().Be(problem is not null, "either a plan or a problem");
        // Some edge values are valid (1e300 as an upper bound, 1e-300 as a tolerance); a refusal names the field.
        if (problem is not null) problem.Errors!.Keys.Should().Contain(k => k.StartsWith(field, StringComparison.Ordinal), problem.Detail);
        // A plan is recorded: its normalised request must be storable as JSON (an infinite tolerance was a 500 at the append).
        else FluentActions.Invoking(() => System.Text.Json.JsonSerializer.Serialize(plan!.Request)).Should().NotThrow();
    }

    [Fact]
    public void A_negative_duration_names_the_duration_alone()
    {
        var (_, problem) = RunPlanner.Plan(Cohort with { Duration = -1440 });
        problem!.Errors!.Keys.Should().Equal("duration");
        problem.Errors["duration"].Should().ContainSingle().Which.Should().Contain("greater than 0");
    }

    public static TheoryData<string, string> EveryParameter()
    {
        var data = new TheoryData<string, string>();
        foreach (var model in Simulation.Models.ModelLibrary.Engine)
            foreach (var p in model.Info.Parameters) data.Add(model.Info.Id, p.Name);
        return data;
    }

    [Theory]
    [MemberData(nameof(EveryParameter))]
    public void A_parameter_takes_the_sign_of_its_plausible_range_as_a_fixed_value_and_as_a_sweeps_bound(string model, string parameter)
    {
        var p = Simulation.Models.ModelLibrary.Get(model).Info.Parameters.Single(x => x.Name == parameter);
        RunRequest Fixed(double v) => new(RunKind.Single, model, Parameters: new Dictionary<string, double> { [parameter] = v });
        RunRequest Swept(double lower) => new(RunKind.Sweep, model, Size: 4, Ranges: [new ParameterRange(parameter, lower, p.Upper)]);

        RunPlanner.Plan(Fixed(p.Value)).Problem.Should().BeNull("the default is a value the parameter takes");
        RunPlanner.Plan(Swept(p.Lower)).Problem.Should().BeNull("so is the plausible range");
        RunPlanner.Plan(Fixed(10 * p.Upper)).Problem.Should().BeNull("past the plausible range is a study's choice, not an error");
        if (p.Lower < 0) return;
        var (_, negative) = RunPlanner.Plan(Fixed(-(p.Value > 0 ? p.Value : p.Upper)));
        negative!.Errors!["parameters"].Should().ContainSingle().Which.Should().Contain($"'{parameter}'").And.Contain("plausible range");
        RunPlanner.Plan(Swept(-p.Upper)).Problem!.Errors!.Keys.Should().Contain("ranges");
        if (p.Lower > 0) RunPlanner.Plan(Fixed(0)).Problem!.Errors!["parameters"].Should().ContainSingle().Which.Should().Contain("is positive");
    }
}
