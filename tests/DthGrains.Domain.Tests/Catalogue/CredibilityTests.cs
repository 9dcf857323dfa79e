using DthGrains.Contracts.Catalogue;
using DthGrains.Contracts.Platform;
using DthGrains.Domain.Catalogue;
using DthGrains.Domain.Platform;
using static DthGrains.Domain.Tests.Catalogue.Given;

namespace DthGrains.Domain.Tests.Catalogue;

/// <summary>ASME V&amp;V 40 credibility records on model versions.</summary>
public sealed class CredibilityTests
{
    private static readonly CredibilityHeader Header = new("Does the controller keep glucose in range overnight?", "In-silico pre-clinical testing of a closed-loop controller.", 2, 3);

    private static CredibilityAssessment Factor(CredibilityFactor factor, int required, int achieved, params string[] evidence) => new(factor, required, achieved, evidence);

    private static CredibilityRecord Record(params CredibilityAssessment[] factors) => new(Header, factors);

    private static readonly CredibilityRecord Baseline = Record(
        Factor(CredibilityFactor.ModelForm, 3, 2, "https://doi.org/10.1088/0967-3334/25/4/010"),
        Factor(CredibilityFactor.OutputComparison, 3, 0));

    private static ResourceState WithBaseline() => Apply(Released(), CatalogueDecisions.RecordCredibility(Released(), "1.0.0", Baseline, Now));

    [Fact]
    public void Recording_a_record_attaches_it_to_the_version()
    {
        var decision = CatalogueDecisions.RecordCredibility(Released(), "1.0.0", Baseline, Now.AddDays(3));
        decision.Events.Should().Equal(new CredibilityRecorded("hovorka-2004", "1.0.0", Baseline, Now.AddDays(3)));
        var s = Apply(Released(), decision);
        s.FindVersion("1.0.0")!.Credibility.Should().Be(Baseline);
        s.UpdatedAt.Should().Be(Now.AddDays(3));
    }

    [Fact]
    public void Only_the_named_version_gets_the_record()
    {
        var s = Released(ResourceKind.Model, "1.0.0", "1.1.0");
        s = Apply(s, CatalogueDecisions.RecordCredibility(s, "1.0.0", Baseline, Now));
        s.FindVersion("1.0.0")!.Credibility.Should().Be(Baseline);
        s.FindVersion("1.1.0")!.Credibility.Should().BeNull();
    }

    [Fact]
    public void Model_risk_is_influence_times_consequence_and_the_level_is_the_lowest_achieved()
    {
        Header.ModelRisk.Should().Be(6);
        Baseline.Level.Should().Be(0);
        Record(Factor(CredibilityFactor.ModelForm, 3, 4, "e1"), Factor(CredibilityFactor.ModelInputs, 3, 2, "e2")).Level.Should().Be(2);
        Record().Level.Should().Be(0);
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(5, 5)]
    [InlineData(3, 1)]
    public void Levels_from_zero_to_five_are_accepted(int required, int achieved)
    {
        var record = Record(Factor(CredibilityFactor.ModelForm, required, achieved, "https://example.org/validation-report"));
        CatalogueDecisions.RecordCredibility(Released(), "1.0.0", record, Now).Problem.Should().BeNull();
    }

    [Theory]
    [InlineData(6, 0)]
    [InlineData(-1, 0)]
    [InlineData(3, 6)]
    [InlineData(3, -1)]
    public void Levels_outside_zero_to_five_are_refused(int required, int achieved)
    {
        var record = Record(Factor(CredibilityFactor.TestSamples, 1, 1, "e"), Factor(CredibilityFactor.ModelForm, required, achieved, "https://example.org/report"));
        var problem = Refused(CatalogueDecisions.RecordCredibility(Released(), "1.0.0", record, Now), ProblemKind.Validation);
        problem.Errors.Should().ContainKey("factors[1]");
    }

    [Fact]
    public void An_achieved_level_above_zero_needs_evidence()
    {
        var record = Record(Factor(CredibilityFactor.ModelForm, 3, 0), Factor(CredibilityFactor.ModelInputs, 3, 1));
        var problem = Refused(CatalogueDecisions.RecordCredibility(Released(), "1.0.0", record, Now), ProblemKind.Validation);
        problem.Errors!.Keys.Should().BeEquivalentTo("factors[1].evidence");
    }

    [Fact]
    public void Raising_an_achieved_level_without_new_evidence_is_refused()
    {
        var raised = Record(
            Factor(CredibilityFactor.ModelForm, 3, 3, "https://doi.org/10.1088/0967-3334/25/4/010"),
            Factor(CredibilityFactor.OutputComparison, 3, 0));
        var problem = Refused(CatalogueDecisions.RecordCredibility(WithBaseline(), "1.0.0", raised, Now), ProblemKind.Validation);
        problem.Errors.Should().ContainKey("factors[0].evidence");
        problem.Errors!["factors[0].evidence"].Single().Should().Contain("from 2 to 3");
    }

    [Fact]
    public void Raising_an_achieved_level_with_new_evidence_is_accepted()
    {
        var raised = Record(
            Factor(CredibilityFactor.ModelForm, 3, 3, "https://doi.org/10.1088/0967-3334/25/4/010", "https://example.org/validation-2026"),
            Factor(CredibilityFactor.OutputComparison, 3, 2, "https://example.org/comparison"));
        var s = Apply(WithBaseline(), CatalogueDecisions.RecordCredibility(WithBaseline(), "1.0.0", raised, Now));
        s.FindVersion("1.0.0")!.Credibility!.Level.Should().Be(2);
    }

    [Fact]
    public void Keeping_or_lowering_a_level_needs_no_new_evidence()
    {
        var lowered = Record(
            Factor(CredibilityFactor.ModelForm, 3, 1, "https://doi.org/10.1088/0967-3334/25/4/010"),
            Factor(CredibilityFactor.OutputComparison, 3, 0));
        CatalogueDecisions.RecordCredibility(WithBaseline(), "1.0.0", lowered, Now).Problem.Should().BeNull();
    }

    [Fact]
    public void Recording_the_same_record_again_appends_nothing()
    {
        CatalogueDecisions.RecordCredibility(WithBaseline(), "1.0.0", Baseline, Now).Should().Be(Decision.Nothing);
    }

    [Theory]
    [InlineData(ResourceKind.Method)]
    [InlineData(ResourceKind.Twin)]
    [InlineData(ResourceKind.Dataset)]
    public void Credibility_records_belong_to_models_only(ResourceKind kind)
    {
        var problem = Refused(CatalogueDecisions.RecordCredibility(Released(kind), "1.0.0", Baseline, Now), ProblemKind.Validation);
        problem.Errors.Should().ContainKey("kind");
    }

    [Fact]
    public void An_unknown_version_is_not_found()
    {
        Refused(CatalogueDecisions.RecordCredibility(Released(), "2.0.0", Baseline, Now), ProblemKind.NotFound).Detail.Should().Contain("2.0.0");
        Refused(CatalogueDecisions.RecordCredibility(Draft(), "1.0.0", Baseline, Now), ProblemKind.NotFound);
        Refused(CatalogueDecisions.RecordCredibility(ResourceState.Initial("nope"), "1.0.0", Baseline, Now), ProblemKind.NotFound);
    }

    [Fact]
    public void Every_invalid_header_field_gets_its_own_error()
    {
        var record = new CredibilityRecord(new CredibilityHeader(" ", "", 0, 4), []);
        var problem = Refused(CatalogueDecisions.RecordCredibility(Released(), "1.0.0", record, Now), ProblemKind.Validation);
        problem.Errors!.Keys.Should().BeEquivalentTo("header.questionOfInterest", "header.contextOfUse", "header.modelInfluence", "header.decisionConsequence");
    }

    [Fact]
    public void A_factor_may_appear_only_once_and_must_be_a_known_factor()
    {
        var duplicated = Record(Factor(CredibilityFactor.ModelForm, 1, 0), Factor(CredibilityFactor.ModelForm, 2, 0));
        Refused(CatalogueDecisions.RecordCredibility(Released(), "1.0.0", duplicated, Now), ProblemKind.Validation).Errors.Should().ContainKey("factors");

        var unknown = Record(Factor((CredibilityFactor)99, 1, 0));
        Refused(CatalogueDecisions.RecordCredibility(Released(), "1.0.0", unknown, Now), ProblemKind.Validation).Errors.Should().ContainKey("factors[0].factor");
    }

    [Fact]
    public void All_thirteen_factors_can_be_recorded()
    {
        Enum.GetValues<CredibilityFactor>().Should().HaveCount(13);
        var record = Record(Enum.GetValues<CredibilityFactor>().Select(f => Factor(f, 2, 2, $"https://example.org/evidence/{f}")).ToArray());
        var s = Apply(Released(), CatalogueDecisions.RecordCredibility(Released(), "1.0.0", record, Now));
        s.FindVersion("1.0.0")!.Credibility!.Factors.Should().HaveCount(13);
        s.FindVersion("1.0.0")!.Credibility!.Level.Should().Be(2);
    }
}
