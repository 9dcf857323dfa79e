using Hl7.Fhir.Model;

namespace DthGrains.Fhir.Twins;

/// <summary>What a FHIR export of a twin's predictions says about where they came from (pseudonym only).</summary>
public sealed record TwinExportSource(
    string TwinId,
    string TwinName,
    string TwinVersion,
    string ModelId,
    string ModelVersion,
    string EngineVersion,
    string DatasetId,
    string DatasetVersion,
    string SubjectPseudonym,
    string? GrantId,
    string CalibrationRequestHash,
    string? ValidationRequestHash,
    string ScenarioId,
    string ScenarioName,
    DateTimeOffset Start,
    DateTimeOffset Recorded);

/// <summary>
/// A twin's predictions as a FHIR R4 collection Bundle: one Observation per predicted glucose value (LOINC 15074-8,
/// mmol/L, with a method code saying it is a model prediction, status preliminary), a DiagnosticReport grouping them
/// with the scenario's conclusion, and a Provenance whose targets are the report and observations and whose entities are
/// the twin, the model version, the dataset version, the grant and the request hashes. The subject is a logical
/// reference by pseudonym: no Patient resource and no identity leave the platform.
/// </summary>
public static class TwinFhirExport
{
    /// <summary>Code system of DthGrains' own codes.</summary>
    public const string DthCodes = "https://dthgrains.eu/fhir/CodeSystem/dth";

    /// <summary>The Observation.method code marking a value as a model prediction, not a measurement.</summary>
    public const string ModelPredictionCode = "model-prediction";

    /// <summary>Identifier systems for the platform's entities (URNs: they resolve nowhere, on purpose).</summary>
    public const string TwinSystem = "urn:dthgrains:twin", ModelSystem = "urn:dthgrains:model", DatasetSystem = "urn:dthgrains:dataset",
        GrantSystem = "urn:dthgrains:grant", RequestSystem = "urn:dthgrains:simulation-request", EngineSystem = "urn:dthgrains:engine";

    /// <summary>The identifier system of a dataset's subject pseudonyms.</summary>
    public static string PseudonymSystem(string datasetId) => $"urn:dthgrains:dataset:{datasetId}:pseudonym";

    public static string Build(TwinExportSource source, WhatIfPrediction prediction, int everyMinutes = 60)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(prediction);
        var subject = new ResourceReference { Identifier = new Identifier(PseudonymSystem(source.DatasetId), source.SubjectPseudonym), Display = "dataset subject (pseudonym)" };
        var method = new CodeableConcept(DthCodes, ModelPredictionCode, "Model prediction (digital twin)", null);
        var bundle = new Bundle { Type = Bundle.BundleType.Collection, Timestamp = source.Recorded, Id = Uuid(source, "bundle") };

        var observations = new List<Observation>();
        for (int k = 0; k < prediction.Minutes.Length; k++)
        {
            if (prediction.Minutes[k] % everyMinutes != 0) continue;
            var at = source.Start.AddMinutes(prediction.Minutes[k]);
            var o = new Observation
            {
                Id = Uuid(source, $"obs-{k}"),
                Status = ObservationStatus.Preliminary,
                Category = [new CodeableConcept("http://terminology.hl7.org/CodeSystem/observation-category", "laboratory")],
                Code = new CodeableConcept("http://loinc.org", "15074-8", "Glucose [Moles/volume] in Blood", null),
                Subject = subject,
                Effective = new FhirDateTime(at),
                Issued = source.Recorded,
                Value = new Quantity((decimal)Math.Round(prediction.Glucose[k], 2), "mmol/L", "http://unitsofmeasure.org"),
                Method = method,
                Note = [new Annotation { Text = $"Predicted by twin {source.TwinId} for scenario '{source.ScenarioName}'; not a measurement." }],
            };
            observations.Add(o);
        }

        var report = new DiagnosticReport
        {
            Id = Uuid(source, "report"),
            Status = DiagnosticReport.DiagnosticReportStatus.Preliminary,
            Code = new CodeableConcept(DthCodes, "twin-prediction-report", "Digital twin prediction report", null),
            Subject = subject,
            Effective = new Period(new FhirDateTime(source.Start), new FhirDateTime(source.Start.AddMinutes(prediction.Minutes[^1]))),
            Issued = source.Recorded,
            Result = observations.Select(o => new ResourceReference($"urn:uuid:{o.Id}")).ToList(),
            Conclusion = FormattableString.Invariant(
                $"Scenario '{source.ScenarioName}' on twin {source.TwinName}: mean glucose {prediction.Mean:F1} mmol/L (range {prediction.Min:F1}-{prediction.Max:F1}); time in range 3.9-10 mmol/L {prediction.InRangePercent:F0} %, below {prediction.BelowRangePercent:F0} %, above {prediction.AboveRangePercent:F0} %. Model predictions, not measurements."),
        };

        var entities = new List<Provenance.EntityComponent>
        {
            Entity(Provenance.ProvenanceEntityRole.Source, TwinSystem, $"{source.TwinId}|{source.TwinVersion}", $"digital twin {source.TwinName} at version {source.TwinVersion}"),
            Entity(Provenance.ProvenanceEntityRole.Source, ModelSystem, $"{source.ModelId}|{source.ModelVersion}", $"model {source.ModelId} version {source.ModelVersion}"),
            Entity(Provenance.ProvenanceEntityRole.Source, DatasetSystem, $"{source.DatasetId}|{source.DatasetVersion}", $"dataset {source.DatasetId} version {source.DatasetVersion}, subject {source.SubjectPseudonym}"),
            Entity(Provenance.ProvenanceEntityRole.Derivation, RequestSystem, source.CalibrationRequestHash, "calibration request (canonical SHA-256)"),
            Entity(Provenance.ProvenanceEntityRole.Derivation, RequestSystem, prediction.RequestHash, $"scenario {source.ScenarioId} request (canonical SHA-256)"),
        };
        if (source.ValidationRequestHash is { } v) entities.Add(Entity(Provenance.ProvenanceEntityRole.Derivation, RequestSystem, v, "validation request (canonical SHA-256)"));
        var provenance = new Provenance
        {
            Id = Uuid(source, "provenance"),
            Target = [new ResourceReference($"urn:uuid:{report.Id}"), .. observations.Select(o => new ResourceReference($"urn:uuid:{o.Id}"))],
            Recorded = source.Recorded,
            Activity = new CodeableConcept(DthCodes, "twin-scenario-test", "Digital twin scenario test", null),
            Agent =
            [
                new Provenance.AgentComponent
                {
                    Type = new CodeableConcept("http://terminology.hl7.org/CodeSystem/provenance-participant-type", "assembler", "Assembler", null),
                    Who = new ResourceReference { Identifier = new Identifier(EngineSystem, source.EngineVersion), Display = $"DthGrains simulation engine {source.EngineVersion}" },
                },
            ],
            Entity = entities,
            Policy = source.GrantId is { } g ? [$"{GrantSystem}:{g}"] : [],
        };

        bundle.Entry.Add(new Bundle.EntryComponent { FullUrl = $"urn:uuid:{report.Id}", Resource = report });
        foreach (var o in observations) bundle.Entry.Add(new Bundle.EntryComponent { FullUrl = $"urn:uuid:{o.Id}", Resource = o });
        bundle.Entry.Add(new Bundle.EntryComponent { FullUrl = $"urn:uuid:{provenance.Id}", Resource = provenance });
        return FhirJson.Serialize(bundle);
    }

    private static Provenance.EntityComponent Entity(Provenance.ProvenanceEntityRole role, string system, string value, string display) => new()
    {
        Role = role,
        What = new ResourceReference { Identifier = new Identifier(system, value), Display = display },
    };

    // Ids are deterministic in the twin, its version and the scenario: the same export twice is byte-identical.
    private static string Uuid(TwinExportSource s, string part) =>
        Synthetic.DeterministicUuid.Urn($"{s.TwinId}|{s.TwinVersion}|{s.ScenarioId}|{part}")["urn:uuid:".Length..];
}
