using DthGrains.Contracts.Runs;
using DthGrains.Domain.Runs;
using DthGrains.Simulation.Models;

namespace DthGrains.Domain.Tests.Runs;

/// <summary>A value in 'parameters' that the run would replace for every subject is refused, never silently ignored.</summary>
public sealed class FixedParameterTests
{
    private static readonly ModelInfo Hovorka = ModelLibrary.Get("hovorka").Info;
    private static readonly string Varying = Hovorka.Parameters.First(p => p.Variability is not null).Name;
    private static readonly string Fixed = Hovorka.Parameters.First(p => p.Variability is null).Name;

    private static string[] Errors(RunRequest request)
    {
        var (_, problem) = RunPlanner.Plan(request);
        return problem?.Errors?.GetValueOrDefault("parameters") ?? [];
    }

    private static double Default(string name) => ModelLibrary.Get("hovorka").DefaultParameters()[Hovorka.ParameterIndex(name)];

    [Fact]
    public void A_cohort_trial_refuses_a_value_for_a_parameter_each_patient_draws_and_says_what_to_do()
    {
        var errors = Errors(new RunRequest(RunKind.CohortTrial, "hovorka", Size: 10, Parameters: new Dictionary<string, double> { [Varying] = Default(Varying) * 2 }));

        errors.Should().ContainSingle().Which.Should().Contain($"'{Varying}' varies across a virtual cohort")
            .And.Contain(Fixed).And.Contain("monte-carlo").And.Contain("'uncertain'");
    }

    [Fact]
    public void A_cohort_trial_takes_a_value_for_a_parameter_that_does_not_vary()
    {
        var (plan, problem) = RunPlanner.Plan(new RunRequest(RunKind.CohortTrial, "hovorka", Size: 10, Parameters: new Dictionary<string, double> { [Fixed] = Default(Fixed) * 1.1 }));
        problem.Should().BeNull();
        plan!.Request.Parameters.Should().ContainKey(Fixed);
    }

    [Fact]
    public void A_sweep_refuses_a_value_for_a_parameter_it_draws_from_a_range()
    {
        var ranges = new[] { new ParameterRange(Varying, Default(Varying) * 0.5, Default(Varying) * 1.5) };
        Errors(new RunRequest(RunKind.Sweep, "hovorka", Size: 10, Ranges: ranges, Parameters: new Dictionary<string, double> { [Varying] = Default(Varying) }))
            .Should().ContainSingle().Which.Should().Contain($"'{Varying}' is drawn from its range");
        Errors(new RunRequest(RunKind.Sweep, "hovorka", Size: 10, Ranges: ranges, Parameters: new Dictionary<string, double> { [Fixed] = Default(Fixed) })).Should().BeEmpty();
    }

    [Fact]
    public void A_monte_carlo_study_takes_the_value_as_the_median_of_its_draws()
    {
        var request = new RunRequest(RunKind.MonteCarlo, "hovorka", Size: 10, Uncertain: [new ParameterUncertainty(Varying, 0.2)],
            Parameters: new Dictionary<string, double> { [Varying] = Default(Varying) * 2 });
        Errors(request).Should().BeEmpty();
    }
}
