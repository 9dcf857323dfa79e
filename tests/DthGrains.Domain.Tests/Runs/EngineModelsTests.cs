using DthGrains.Contracts.Runs;
using DthGrains.Domain.Runs;

namespace DthGrains.Domain.Tests.Runs;

/// <summary>The engine's models as a simulation client reads them before writing a request, and the refusals that point there.</summary>
public sealed class EngineModelsTests
{
    [Fact]
    public void The_list_names_every_shipped_model_with_its_alias_outputs_and_scenarios()
    {
        // The engine's own models: external ones (registered by other tests of this process) have an executor.
        var models = EngineModels.List().Where(m => m.Executor is null).ToList();
        models.Select(m => m.Alias).Should().BeEquivalentTo(["bergman", "hovorka", "windkessel", "pkpd"]);
        models.Single(m => m.Alias == "bergman").Scenarios.Should().Equal("reference", "day");
        models.Single(m => m.Alias == "hovorka").Outputs.Should().Contain("G");
        models.Should().OnlyContain(m => m.Parameters > 0 && m.VaryingInCohorts > 0 && m.VaryingInCohorts <= m.Parameters);
    }

    [Theory]
    [InlineData("bergman")]
    [InlineData("hovorka")]
    [InlineData("windkessel")]
    [InlineData("pkpd")]
    public void Every_parameter_described_is_one_a_request_may_vary_and_every_scenario_one_it_may_name(string alias)
    {
        var model = EngineModels.Describe(alias)!;
        EngineModels.Describe(model.Id).Should().BeEquivalentTo(model, "the id and the alias name the same model");
        model.EngineVersion.Should().Be(RunPlanner.EngineVersion);
        model.Parameters.Should().OnlyContain(p => p.Lower <= p.Value && p.Value <= p.Upper && p.Unit.Length > 0 && p.Source.Length > 0);

        // A Monte-Carlo study over every parameter the description gives plans; so does each scenario, with the step given.
        var uncertain = model.Parameters.Select(p => new ParameterUncertainty(p.Name, 0.1)).ToArray();
        var (_, problem) = RunPlanner.Plan(new RunRequest(RunKind.MonteCarlo, alias, Size: 10, Uncertain: uncertain));
        problem.Should().BeNull(problem?.Errors is { } e ? string.Join("; ", e.SelectMany(x => x.Value)) : null);
        foreach (var scenario in model.Scenarios)
        {
            var (plan, refused) = RunPlanner.Plan(new RunRequest(RunKind.Single, alias, Scenario: scenario.Name));
            refused.Should().BeNull();
            plan!.Times[^1].Should().Be(scenario.Duration, $"scenario {scenario.Name} runs for its period");
            (plan.Times[1] - plan.Times[0]).Should().BeApproximately(scenario.DefaultOutputStep, 1e-9, "the step a run takes when none is given");
        }
        // Cohort-varying parameters say how they vary.
        model.Parameters.Count(p => p.Variability is not null).Should().Be(EngineModels.List().Single(m => m.Id == model.Id).VaryingInCohorts);
    }

    [Fact]
    public void An_unknown_model_is_null()
    {
        EngineModels.Describe("no-such-model").Should().BeNull();
        EngineModels.Describe("HOVORKA").Should().BeNull("ids and aliases are lower-case, as everywhere in the API");
    }

    [Theory]
    [InlineData(RunKind.MonteCarlo, "uncertain")]
    [InlineData(RunKind.Sweep, "ranges")]
    [InlineData(RunKind.Single, "parameters")]
    public void A_request_naming_an_unknown_parameter_is_told_the_models_parameters_and_where_they_are_described(RunKind kind, string field)
    {
        var request = kind switch
        {
            RunKind.MonteCarlo => new RunRequest(kind, "pkpd", Size: 10, Uncertain: [new ParameterUncertainty("V", 0.2)]),
            RunKind.Sweep => new RunRequest(kind, "pkpd", Size: 10, Ranges: [new ParameterRange("V", 1, 2)]),
            _ => new RunRequest(kind, "pkpd", Parameters: new Dictionary<string, double> { ["V"] = 1 }),
        };
        var (_, problem) = RunPlanner.Plan(request);
        var message = problem!.Errors![field].Single();
        var names = EngineModels.Describe("pkpd")!.Parameters.Select(p => p.Name).ToArray();
        message.Should().Contain("has no parameter 'V'").And.Contain(string.Join(", ", names)).And.Contain("dth run models pkpd-2cmt-emax");
    }
}
