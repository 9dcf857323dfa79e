namespace DthGrains.Fhir;

/// <summary>Code systems and codes this project writes and recognises (FHIR R4 canonical URIs).</summary>
internal static class FhirCodes
{
    public const string Loinc = "http://loinc.org";
    public const string Ucum = "http://unitsofmeasure.org";
    public const string Snomed = "http://snomed.info/sct";
    public const string Atc = "http://www.whocc.no/atc";
    public const string RxNorm = "http://www.nlm.nih.gov/research/umls/rxnorm";
    public const string ObservationCategory = "http://terminology.hl7.org/CodeSystem/observation-category";
    public const string ConditionClinical = "http://terminology.hl7.org/CodeSystem/condition-clinical";
    public const string ConditionVerification = "http://terminology.hl7.org/CodeSystem/ver-status";
    public const string ActReason = "http://terminology.hl7.org/CodeSystem/v3-ActReason";

    /// <summary>Identifier system of synthetic patients (a URN: it resolves nowhere, on purpose).</summary>
    public const string SyntheticPatientSystem = "urn:dthgrains:synthetic-patient";

    public const string GlucoseMolesBlood = "15074-8";      // Glucose [Moles/volume] in Blood
    public const string GlucoseMassBlood = "2339-0";        // Glucose [Mass/volume] in Blood
    public const string GlucoseMassSerum = "2345-7";        // Glucose [Mass/volume] in Serum or Plasma
    public const string GlucoseMolesSerum = "14749-6";      // Glucose [Moles/volume] in Serum or Plasma
    public const string GlucoseMassCapillary = "41653-7";   // Glucose [Mass/volume] in Capillary blood by Glucometer
    public const string GlucoseMolesCapillary = "14743-9";  // Glucose [Moles/volume] in Capillary blood by Glucometer
    public const string CarbohydrateIntake = "9059-7";      // Carbohydrate intake Estimated
    public const string BodyWeight = "29463-7";             // Body weight
    public const string BodyWeightMeasured = "3141-9";      // Body weight Measured
    public const string InsulinSerum = "20448-7";           // Insulin [Units/volume] in Serum or Plasma

    public const string InsulinAspartAtc = "A10AB05";       // insulin aspart (ATC A10A: insulins and analogues)
    public const string InsulinRxNorm = "5856";             // insulin (ingredient)
    public const string InsulinSnomedSubstance = "67866001"; // Insulin (substance)
    public const string SubcutaneousRoute = "34206005";     // Subcutaneous route
    public const string Type1Diabetes = "46635009";         // Diabetes mellitus type 1

    public static readonly IReadOnlySet<string> GlucoseCodes = new HashSet<string>(StringComparer.Ordinal)
    {
        GlucoseMolesBlood, GlucoseMassBlood, GlucoseMassSerum, GlucoseMolesSerum, GlucoseMassCapillary, GlucoseMolesCapillary,
    };

    /// <summary>True for a coding that names insulin: ATC A10A*, RxNorm 5856, SNOMED CT Insulin (substance).</summary>
    public static bool IsInsulin(string? system, string? code) => (system, code) switch
    {
        (Atc, { } c) => c.StartsWith("A10A", StringComparison.Ordinal),
        (RxNorm, InsulinRxNorm) => true,
        (Snomed, InsulinSnomedSubstance) => true,
        _ => false,
    };
}
