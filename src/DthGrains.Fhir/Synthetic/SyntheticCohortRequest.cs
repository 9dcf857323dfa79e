namespace DthGrains.Fhir.Synthetic;

/// <summary>
/// What to generate: model (alias or id; "hovorka" is supported), number of virtual patients, days of data per patient,
/// and the seed. Same request, byte-identical bundles. <see cref="Start"/> is the first day's midnight (UTC);
/// <see cref="GlucoseUnit"/> is "mmol/L" (LOINC 15074-8) or "mg/dL" (LOINC 2339-0).
/// </summary>
public sealed record SyntheticCohortRequest(string Model = "hovorka", int Patients = 20, int Days = 3, ulong Seed = 1)
{
    /// <summary>Default start of the data: 2024-01-01T00:00Z (a fixed date keeps bundles reproducible).</summary>
    public static readonly DateTimeOffset DefaultStart = new(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public const int MaxPatients = 10_000;
    public const int MaxDays = 60;

    /// <summary>Midnight of the first day, UTC.</summary>
    public DateTimeOffset Start { get; init; } = DefaultStart;

    /// <summary>Unit of the CGM observations.</summary>
    public string GlucoseUnit { get; init; } = "mmol/L";

    /// <summary>Checks the request; a bad one is the caller's to fix.</summary>
    public void Validate()
    {
        if (Patients is < 1 or > MaxPatients) throw new ArgumentOutOfRangeException(nameof(Patients), Patients, $"Patients must be in [1, {MaxPatients}].");
        if (Days is < 1 or > MaxDays) throw new ArgumentOutOfRangeException(nameof(Days), Days, $"Days must be in [1, {MaxDays}].");
        if (GlucoseUnit is not ("mmol/L" or "mg/dL")) throw new ArgumentException($"Glucose unit must be mmol/L or mg/dL, not '{GlucoseUnit}'.", nameof(GlucoseUnit));
        if (Start.Offset != TimeSpan.Zero || Start.TimeOfDay != TimeSpan.Zero) throw new ArgumentException("Start must be a midnight in UTC.", nameof(Start));
    }
}
