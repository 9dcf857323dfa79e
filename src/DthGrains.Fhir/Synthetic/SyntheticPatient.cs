namespace DthGrains.Fhir.Synthetic;

/// <summary>
/// The hidden truth behind one virtual patient, for checking calibration: every model parameter by name (as simulated),
/// the therapy (basal rate, insulin-to-carbohydrate ratio) and the sensor noise model, whose standard deviation at true
/// glucose G (mmol/L) is <c>SensorNoiseSd + SensorNoiseCv·G</c>, independent between samples.
/// </summary>
public sealed record SyntheticTruth(
    string Pseudonym,
    int Index,
    string ModelId,
    string ModelVersion,
    ulong Seed,
    IReadOnlyDictionary<string, double> Parameters,
    double BasalUnitsPerHour,
    double CarbRatioGramsPerUnit,
    double SensorNoiseSd,
    double SensorNoiseCv);

/// <summary>Figures about one generated patient, from the observed (noisy) glucose.</summary>
public sealed record SyntheticSummary(
    int Entries,
    int GlucoseObservations,
    int Meals,
    int Boluses,
    double MeanGlucose,
    double MinGlucose,
    double MaxGlucose,
    double TimeInRangePercent,
    string GlucoseUnit);

/// <summary>One virtual patient: pseudonym, synthetic demographics, the FHIR transaction Bundle, the truth and a summary.</summary>
public sealed record SyntheticPatient(string Pseudonym, string Gender, int BirthYear, string BundleJson, SyntheticTruth Truth, SyntheticSummary Summary);

/// <summary>A generated cohort.</summary>
public sealed record SyntheticCohort(SyntheticCohortRequest Request, IReadOnlyList<SyntheticPatient> Patients);
