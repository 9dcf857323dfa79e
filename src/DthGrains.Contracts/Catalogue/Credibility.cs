namespace DthGrains.Contracts.Catalogue;

/// <summary>The thirteen ASME V&amp;V 40 credibility factors.</summary>
public enum CredibilityFactor
{
    SoftwareQualityAssurance,
    NumericalCodeVerification,
    DiscretizationError,
    NumericalSolverError,
    UseError,
    ModelForm,
    ModelInputs,
    TestSamples,
    TestConditions,
    EquivalencyOfInputParameters,
    OutputComparison,
    RelevanceOfQuantitiesOfInterest,
    RelevanceOfValidationActivities,
}

/// <summary>V&amp;V 40 header: the question, the context of use and the risk that sets the credibility goals.</summary>
[GenerateSerializer, Immutable, Alias("dth.catalogue.credibility-header")]
public sealed record CredibilityHeader(
    [property: Id(0)] string QuestionOfInterest,
    [property: Id(1)] string ContextOfUse,
    [property: Id(2)] int ModelInfluence,        // 1 (low) .. 3 (high)
    [property: Id(3)] int DecisionConsequence,   // 1 (low) .. 3 (high)
    [property: Id(4)] string? AdequacyAssessment = null)
{
    /// <summary>Model risk as in V&amp;V 40: the product of influence and consequence (1..9).</summary>
    public int ModelRisk => ModelInfluence * DecisionConsequence;
}

/// <summary>One factor's required and achieved level (0..5) and the evidence behind the achieved level.</summary>
[GenerateSerializer, Immutable, Alias("dth.catalogue.credibility-factor")]
public sealed record CredibilityAssessment(
    [property: Id(0)] CredibilityFactor Factor,
    [property: Id(1)] int Required,
    [property: Id(2)] int Achieved,
    [property: Id(3)] string[] Evidence);

[GenerateSerializer, Immutable, Alias("dth.catalogue.credibility-record")]
public sealed record CredibilityRecord(
    [property: Id(0)] CredibilityHeader Header,
    [property: Id(1)] CredibilityAssessment[] Factors)
{
    /// <summary>The lowest ratio achieved/required over the factors, as a level 0..5 for search facets.</summary>
    public int Level => Factors.Length == 0 ? 0 : Factors.Min(f => f.Achieved);
}
