using DthGrains.Simulation.Models;
using DthGrains.Simulation.Units;

namespace DthGrains.Fhir.Mapping;

/// <summary>Where FHIR data goes in one model: its glucose output and its meal, bolus and basal inputs.</summary>
internal sealed record ModelMapping(string ModelId, string GlucoseOutput, Unit GlucoseUnit, string MealInput, string BolusInput, string RateInput, string InsulinRoute);

/// <summary>
/// The models FHIR data can be mapped to. Hovorka takes subcutaneous insulin, which is what pumps and pens give; the
/// Bergman model's insulin input is intravenous, so mapping pump data into it would be wrong and it has no mapping yet.
/// </summary>
internal static class ModelMappings
{
    private static readonly ModelMapping[] All =
    [
        new(HovorkaModel.Id, "G", UnitRegistry.MillimolePerLitre, "meal", "insulin_bolus", "insulin", FhirCodes.SubcutaneousRoute),
    ];

    public static IReadOnlyList<string> ModelIds { get; } = All.Select(m => m.ModelId).ToArray();

    public static ModelMapping? For(string modelId) => All.FirstOrDefault(m => m.ModelId == modelId);
}
