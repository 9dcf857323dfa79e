using DthGrains.Fhir.Datasets;
using DthGrains.Simulation.Models;
using DthGrains.Simulation.Units;
using Hl7.Fhir.ElementModel.Types;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Quantity = Hl7.Fhir.Model.Quantity;

namespace DthGrains.Fhir.Mapping;

/// <summary>
/// Maps one dataset subject's FHIR resources to a model's calibration targets and inputs, by LOINC and ATC code and by
/// UCUM unit: glucose observations (LOINC 15074-8, 2339-0, 14749-6, 2345-7, 14743-9, 41653-7) to the glucose output,
/// carbohydrate intake (9059-7) to the meal input, insulin administrations (ATC A10A*, RxNorm 5856, SNOMED CT 67866001)
/// with a dose to boluses and with a rate to basal rates, plasma insulin (20448-7) and body weight (29463-7, 3141-9).
/// Patient resources are never read: the timeline carries the pseudonym only.
/// </summary>
public static class FhirToModel
{
    /// <summary>Model ids with a FHIR mapping.</summary>
    public static IReadOnlyList<string> SupportedModels => ModelMappings.ModelIds;

    /// <summary>Maps the rows of <paramref name="subjectPseudonym"/> in a validated dataset.</summary>
    public static PatientTimeline Map(DatasetContent content, string subjectPseudonym, string modelId)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentException.ThrowIfNullOrEmpty(subjectPseudonym);
        ArgumentException.ThrowIfNullOrEmpty(modelId);
        var builder = Start(subjectPseudonym, modelId, out var model, out var map);
        if (map is null || model is null) return builder.Build();
        if (!content.Subjects.Contains(subjectPseudonym, StringComparer.Ordinal))
        {
            builder.Error("Patient", subjectPseudonym, "Bundle", "The dataset has no such subject.");
            return builder.Build();
        }
        foreach (var row in content.ForSubject(subjectPseudonym))
        {
            if (row.ResourceType == "Patient") continue; // identity stays out: nothing of the Patient is read
            Resource resource;
            try { resource = FhirJson.Deserializer.DeserializeResource(row.Json); }
            catch (DeserializationFailedException)
            {
                builder.Error(row.ResourceType, row.Id, row.ResourceType, "The stored resource is not valid FHIR R4.");
                continue;
            }
            builder.Add(resource);
        }
        return builder.Build();
    }

    /// <summary>Reads <paramref name="bundleJson"/> strictly (as an upload would be) and maps the subject's data.</summary>
    public static PatientTimeline Map(string bundleJson, string subjectPseudonym, string modelId)
    {
        ArgumentNullException.ThrowIfNull(bundleJson);
        var read = DatasetBundleReader.Read(bundleJson);
        if (read.Content is { } content) return Map(content, subjectPseudonym, modelId);
        var builder = Start(subjectPseudonym, modelId, out _, out _);
        foreach (var issue in read.Failure!.Issues)
            builder.Error("Bundle", "", issue.Expression ?? "Bundle", $"The bundle was refused ({read.Failure.StatusCode}): {issue.Diagnostics}");
        return builder.Build();
    }

    private static TimelineBuilder Start(string subject, string modelId, out ModelDefinition? model, out ModelMapping? map)
    {
        model = null;
        map = null;
        try { model = ModelLibrary.GetEngine(modelId); }
        catch (ArgumentException e)
        {
            var unknown = new TimelineBuilder(subject, modelId, "", null);
            unknown.Error("Model", modelId, "model", e.Message);
            return unknown;
        }
        map = ModelMappings.For(model.Info.Id);
        var builder = new TimelineBuilder(subject, model.Info.Id, model.Info.Version, map);
        if (map is null)
            builder.Error("Model", model.Info.Id, "model", $"No FHIR mapping for model '{model.Info.Id}' yet (mappings exist for: {string.Join(", ", ModelMappings.ModelIds)}).");
        return builder;
    }

    /// <summary>Collects the mapped values and the issues of one subject.</summary>
    private sealed class TimelineBuilder(string subject, string modelId, string modelVersion, ModelMapping? map)
    {
        private readonly List<TimedValue> _glucose = [], _insulin = [], _carbs = [], _boluses = [];
        private readonly List<InsulinRate> _rates = [];
        private readonly List<MappingIssue> _warnings = [], _errors = [];
        private readonly List<string> _unmapped = [];
        private (DateTimeOffset Time, double Kg)? _weight;

        public void Error(string type, string? id, string element, string message) => _errors.Add(new MappingIssue(type, id ?? "", element, message));

        private void Warn(string type, string? id, string element, string message) => _warnings.Add(new MappingIssue(type, id ?? "", element, message));

        public void Add(Resource resource)
        {
            switch (resource)
            {
                case Observation o: AddObservation(o); break;
                case MedicationAdministration m: AddAdministration(m); break;
                case MedicationStatement s: AddStatement(s); break;
                default: break; // Condition, Encounter: context, not model data
            }
        }

        private void AddObservation(Observation o)
        {
            const string type = "Observation";
            if (o.Status is ObservationStatus.EnteredInError or ObservationStatus.Cancelled)
            {
                Warn(type, o.Id, "Observation.status", $"Status '{o.Status}' is not data; left out.");
                return;
            }
            var loinc = o.Code?.Coding.Where(c => c.System == FhirCodes.Loinc).Select(c => c.Code).ToList() ?? [];
            string? code = loinc.FirstOrDefault(c => c is not null && (FhirCodes.GlucoseCodes.Contains(c) || c is FhirCodes.CarbohydrateIntake
                or FhirCodes.BodyWeight or FhirCodes.BodyWeightMeasured or FhirCodes.InsulinSerum));
            if (code is null)
            {
                Unmapped(type, o.Id, "Observation.code", o.Code);
                return;
            }
            if (o.Value is null && o.DataAbsentReason is not null)
            {
                Warn(type, o.Id, "Observation.value", "No value (dataAbsentReason); left out.");
                return;
            }
            if (o.Value is not Quantity q)
            {
                Error(type, o.Id, "Observation.value", $"LOINC {code} needs a valueQuantity, found {o.Value?.TypeName ?? "no value"}.");
                return;
            }
            var time = Instant(o.Effective, type, o.Id, "Observation.effective");
            if (time is null) return;

            switch (code)
            {
                case FhirCodes.CarbohydrateIntake:
                    if (Convert(q, UnitRegistry.Gram, type, o.Id, "Observation.valueQuantity", Plausible.Carbohydrate) is { } grams) _carbs.Add(new TimedValue(time.Value, grams));
                    break;
                case FhirCodes.BodyWeight or FhirCodes.BodyWeightMeasured:
                    if (Convert(q, UnitRegistry.Kilogram, type, o.Id, "Observation.valueQuantity", Plausible.BodyWeight) is { } kg && (_weight is null || time.Value >= _weight.Value.Time))
                        _weight = (time.Value, kg);
                    break;
                case FhirCodes.InsulinSerum:
                    if (Convert(q, UnitRegistry.MilliUnitsPerLitre, type, o.Id, "Observation.valueQuantity", Plausible.SerumInsulin) is { } mu) _insulin.Add(new TimedValue(time.Value, mu));
                    break;
                default:
                    if (Convert(q, map!.GlucoseUnit, type, o.Id, "Observation.valueQuantity", Plausible.Glucose(map.GlucoseUnit)) is { } g) _glucose.Add(new TimedValue(time.Value, g));
                    break;
            }
        }

        private void AddAdministration(MedicationAdministration m)
        {
            const string type = "MedicationAdministration";
            if (m.Status is MedicationAdministration.MedicationAdministrationStatusCodes.EnteredInError
                or MedicationAdministration.MedicationAdministrationStatusCodes.NotDone)
            {
                Warn(type, m.Id, "MedicationAdministration.status", $"Status '{m.Status}' gave no insulin; left out.");
                return;
            }
            if (m.Medication is not CodeableConcept medication)
            {
                Warn(type, m.Id, "MedicationAdministration.medication", "Medication given by reference; only coded medications are mapped.");
                return;
            }
            if (!medication.Coding.Any(c => FhirCodes.IsInsulin(c.System, c.Code)))
            {
                Unmapped(type, m.Id, "MedicationAdministration.medication", medication);
                return;
            }
            var dosage = m.Dosage;
            if (dosage is null || (dosage.Dose is null && dosage.Rate is null))
            {
                Error(type, m.Id, "MedicationAdministration.dosage", "An insulin administration needs dosage.dose (U) or dosage.rateQuantity (U/h).");
                return;
            }
            if (dosage.Route?.Coding.Count > 0 && !dosage.Route.Coding.Any(c => c.System == FhirCodes.Snomed && c.Code == map!.InsulinRoute))
                Warn(type, m.Id, "MedicationAdministration.dosage.route", $"Route {Codes(dosage.Route)} is not subcutaneous; the model assumes subcutaneous insulin.");

            if (dosage.Rate is not null)
            {
                if (dosage.Rate is not Quantity rate)
                {
                    Error(type, m.Id, "MedicationAdministration.dosage.rate", "Only rateQuantity (U/h) is mapped, not rateRatio.");
                    return;
                }
                var (start, end) = Span(m.Effective, type, m.Id);
                if (start is null) return;
                if (Convert(rate, UnitRegistry.UnitsPerHour, type, m.Id, "MedicationAdministration.dosage.rateQuantity", Plausible.BasalRate) is { } uh)
                    _rates.Add(new InsulinRate(start.Value, end, uh));
                return;
            }
            var (at, until) = Span(m.Effective, type, m.Id);
            if (at is null) return;
            if (until is not null && until != at)
                Warn(type, m.Id, "MedicationAdministration.effective", "A dose over a period is mapped as a bolus at its start.");
            if (Convert(dosage.Dose!, UnitRegistry.InsulinUnit, type, m.Id, "MedicationAdministration.dosage.dose", Plausible.Bolus) is { } units)
                _boluses.Add(new TimedValue(at.Value, units));
        }

        private void AddStatement(MedicationStatement s)
        {
            if (s.Medication is CodeableConcept c && c.Coding.Any(x => FhirCodes.IsInsulin(x.System, x.Code)))
                Warn("MedicationStatement", s.Id, "MedicationStatement", "An insulin statement gives no administration times; not used as model input.");
            else if (s.Medication is CodeableConcept other)
                Unmapped("MedicationStatement", s.Id, "MedicationStatement.medication", other);
        }

        private void Unmapped(string type, string? id, string element, CodeableConcept? concept)
        {
            var codes = concept?.Coding.Select(c => $"{c.System}|{c.Code}").ToList() ?? [];
            if (codes.Count == 0)
            {
                Warn(type, id, element, "No coding; left out.");
                return;
            }
            foreach (var c in codes) if (!_unmapped.Contains(c)) _unmapped.Add(c);
            Warn(type, id, element, $"Unmapped code(s) {string.Join(", ", codes)}; left out.");
        }

        private double? Convert(Quantity q, Unit target, string type, string? id, string element, Plausible range)
        {
            if (q.Value is not { } value)
            {
                Error(type, id, $"{element}.value", "The quantity has no value.");
                return null;
            }
            if (q.Comparator is { } comparator)
            {
                // A censored reading (a meter's "LOW", "<2.2") is a bound, not a value: as the value it would bias the fit.
                Warn(type, id, $"{element}.comparator", $"A censored value ({Symbol(comparator)} {value}) is a bound, not a measurement; left out.");
                return null;
            }
            string? code = q.Code;
            if (code is not null && q.System is { } system && system != FhirCodes.Ucum)
            {
                Error(type, id, $"{element}.system", $"Unit system '{system}' is not UCUM ({FhirCodes.Ucum}).");
                return null;
            }
            if (code is null && q.Unit is { } display)
            {
                code = display;
                Warn(type, id, $"{element}.code", $"No UCUM code; the unit '{display}' was read as one.");
            }
            if (code is null)
            {
                Error(type, id, $"{element}.code", $"Unit-less value; expected {target.Dimension} in {target.Symbol} or a convertible UCUM unit.");
                return null;
            }
            var converted = UcumUnits.TryConvert(value, code, target, out var problem);
            if (converted is null) Error(type, id, $"{element}.code", $"Cannot use the value: {problem}.");
            else if (!(converted >= range.Low && converted <= range.High))
            {
                // A weight of 0 divides the model's volumes; a weight in g sent as kg makes a 70-tonne patient.
                Error(type, id, element, string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"{converted:G4} {target.Symbol} is not a plausible {range.What} (from {range.Low:G3} to {range.High:G3} {target.Symbol}): check the value and its unit."));
                return null;
            }
            return converted;
        }

        private DateTimeOffset? Instant(DataType? effective, string type, string? id, string element)
        {
            var (start, _) = Span(effective, type, id, element);
            return start;
        }

        private (DateTimeOffset? Start, DateTimeOffset? End) Span(DataType? effective, string type, string? id, string element = "")
        {
            if (element.Length == 0) element = $"{type}.effective";
            switch (effective)
            {
                case FhirDateTime dt:
                    return (Precise(dt, type, id, element), null);
                case Period p when p.StartElement is not null:
                    var start = Precise(p.StartElement, type, id, $"{element}.start");
                    var end = p.EndElement is null ? null : Precise(p.EndElement, type, id, $"{element}.end");
                    return (start, end);
                case Instant i when i.Value is { } v:
                    return (Bounded(v, type, id, element), null);
                default:
                    Error(type, id, element, "No time (effectiveDateTime, or effectivePeriod with a start); the model cannot place it.");
                    return (null, null);
            }
        }

        private DateTimeOffset? Precise(FhirDateTime dt, string type, string? id, string element)
        {
            if (dt.TryToSystemDateTime(out var value) && value.Precision >= DateTimePrecision.Minute && dt.TryToDateTimeOffset(out var instant))
                return Bounded(instant, type, id, element);
            Error(type, id, element, "The time is not precise to the minute; the model cannot place it.");
            return null;
        }

        /// <summary>A placeholder date (0001, 9999) stretched the timeline over centuries, and the day after it overflowed.</summary>
        private DateTimeOffset? Bounded(DateTimeOffset instant, string type, string? id, string element)
        {
            if (instant.Year is >= 1900 and <= 2200) return instant;
            Error(type, id, element, $"The time {instant:yyyy-MM-dd} is not between 1900 and 2200.");
            return null;
        }

        private static string Symbol(Quantity.QuantityComparator comparator) => comparator switch
        {
            Quantity.QuantityComparator.LessThan => "<",
            Quantity.QuantityComparator.LessOrEqual => "<=",
            Quantity.QuantityComparator.GreaterOrEqual => ">=",
            Quantity.QuantityComparator.GreaterThan => ">",
            _ => comparator.ToString(),
        };

        private static string Codes(CodeableConcept c) => string.Join(", ", c.Coding.Select(x => $"{x.System}|{x.Code}"));

        public PatientTimeline Build()
        {
            if (map is not null && _errors.Count == 0 && _glucose.Count == 0)
                Error("Observation", "", "Observation.code", $"No glucose observations for {subject}: the model's calibration target ({map.GlucoseOutput}) is missing.");
            if (map is not null && _rates.Count == 0 && (_glucose.Count > 0 || _boluses.Count > 0))
                Warn("MedicationAdministration", "", "MedicationAdministration.dosage.rateQuantity", "No basal insulin rate in the data; the model's default basal applies.");
            return new PatientTimeline(subject, modelId, modelVersion, map?.GlucoseOutput ?? "", map?.GlucoseUnit.Symbol ?? "",
                _glucose.OrderBy(x => x.Time).ToList(), _insulin.OrderBy(x => x.Time).ToList(), _carbs.OrderBy(x => x.Time).ToList(),
                _boluses.OrderBy(x => x.Time).ToList(), _rates.OrderBy(x => x.Start).ToList(), _weight?.Kg,
                new MappingReport(_warnings, _errors, _unmapped));
        }
    }
}

/// <summary>
/// The range of values a mapped quantity may take, in the unit it is mapped to: a value outside is a mapping error (a
/// wrong unit, a typo), refused before it reaches the model as a 422 rather than as a NaN in a fit.
/// </summary>
internal sealed record Plausible(double Low, double High, string What)
{
    public static readonly Plausible Carbohydrate = new(0, 500, "carbohydrate intake");
    public static readonly Plausible BodyWeight = new(2, 350, "body weight");
    public static readonly Plausible SerumInsulin = new(0, 2000, "serum insulin");
    public static readonly Plausible Bolus = new(0, 100, "insulin dose");
    public static readonly Plausible BasalRate = new(0, 50, "basal insulin rate");

    /// <summary>0.5 to 50 mmol/L (9 to 900 mg/dL), in the model's glucose unit.</summary>
    public static Plausible Glucose(Unit unit) => new(0.5 / unit.ToBase, 50 / unit.ToBase, "glucose");
}
