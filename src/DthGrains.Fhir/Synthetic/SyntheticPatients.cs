using DthGrains.Simulation.Models;

namespace DthGrains.Fhir.Synthetic;

/// <summary>
/// Virtual patients generated from a physiological model with known hidden parameters, written as FHIR R4 transaction
/// Bundles (a pseudonymous Patient with synthetic gender and birth year, type 1 diabetes, body weight, CGM glucose
/// every 5 minutes with sensor noise, carbohydrate intake, insulin boluses and basal rates), so that calibration can be
/// checked against the truth. Deterministic: patient i depends only on (request, i).
/// </summary>
public static class SyntheticPatients
{
    /// <summary>Models that can generate patients (aliases as <see cref="ModelLibrary.Get"/> takes them).</summary>
    public static IReadOnlyList<string> SupportedModels { get; } = ["hovorka"];

    /// <summary>The pseudonym of patient <paramref name="index"/> (0-based): synth-00001, synth-00002, …</summary>
    public static string PseudonymOf(int index) => $"synth-{index + 1:D5}";

    /// <summary>Generates every patient of the request.</summary>
    public static SyntheticCohort Generate(SyntheticCohortRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Validate();
        var model = Resolve(request.Model);
        var patients = new SyntheticPatient[request.Patients];
        for (int i = 0; i < patients.Length; i++) patients[i] = Build(model, request, i);
        return new SyntheticCohort(request, patients);
    }

    /// <summary>Generates patient <paramref name="index"/> (0-based) alone: the same bytes as within <see cref="Generate"/>.</summary>
    public static SyntheticPatient GeneratePatient(SyntheticCohortRequest request, int index)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Validate();
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, request.Patients);
        return Build(Resolve(request.Model), request, index);
    }

    private static HovorkaModel Resolve(string model) => ModelLibrary.Get(model) as HovorkaModel
        ?? throw new ArgumentException($"Synthetic patients can be generated from: {string.Join(", ", SupportedModels)}; not from '{model}' yet.", nameof(model));

    private static SyntheticPatient Build(HovorkaModel model, SyntheticCohortRequest request, int index)
    {
        var v = VirtualPatient.Create(model, request, index);
        var (json, entries) = SyntheticBundleBuilder.Build(v, request, model.Info);
        var info = model.Info;
        var parameters = new Dictionary<string, double>(info.Parameters.Count, StringComparer.Ordinal);
        for (int k = 0; k < info.Parameters.Count; k++) parameters[info.Parameters[k].Name] = v.Parameters[k];
        var truth = new SyntheticTruth(v.Pseudonym, index, info.Id, info.Version, request.Seed, parameters,
            v.BasalUnitsPerHour, v.CarbRatio, VirtualPatient.NoiseSd, VirtualPatient.NoiseCv);

        var shown = v.ObservedGlucoseMmol.Select(g => SyntheticBundleBuilder.GlucoseValue(g, request.GlucoseUnit)).Select(d => (double)d).ToArray();
        double inRange = v.ObservedGlucoseMmol.Count(g => g is >= 3.9 and <= 10.0) * 100.0 / v.ObservedGlucoseMmol.Length;
        var summary = new SyntheticSummary(entries, shown.Length, v.Meals.Count, v.Meals.Count(m => m.BolusUnits > 0),
            shown.Average(), shown.Min(), shown.Max(), Math.Round(inRange, 1), request.GlucoseUnit);
        return new SyntheticPatient(v.Pseudonym, v.Female ? "female" : "male", v.BirthYear, json, truth, summary);
    }
}
