using System.Globalization;
using DthGrains.Simulation.Units;
using Hl7.Fhir.Model;
using ModelInfo = DthGrains.Simulation.Models.ModelInfo;
using Quantity = Hl7.Fhir.Model.Quantity;

namespace DthGrains.Fhir.Synthetic;

/// <summary>
/// Writes one virtual patient as a FHIR R4 transaction Bundle. The Patient is PUT under its pseudonym (no name, no
/// address: an identifier in a synthetic system, gender and birth year, tagged HTEST as test data); everything else is
/// POSTed under a name-based <c>urn:uuid</c> fullUrl and refers to <c>Patient/&lt;pseudonym&gt;</c>.
/// </summary>
internal static class SyntheticBundleBuilder
{
    private const string Unit = "[iU]", UnitDisplay = "U", Rate = "[iU]/h", RateDisplay = "U/h";

    public static (string Json, int Entries) Build(VirtualPatient v, SyntheticCohortRequest request, ModelInfo model)
    {
        var bundle = new Bundle { Type = Bundle.BundleType.Transaction };
        var subject = new ResourceReference($"Patient/{v.Pseudonym}");
        int entry = 0;
        string Uuid() => DeterministicUuid.Urn($"dthgrains/synthetic/{model.Id}/{request.Seed}/{v.Index}/{entry}");
        void Post(Resource r)
        {
            bundle.Entry.Add(new Bundle.EntryComponent
            {
                FullUrl = Uuid(),
                Resource = r,
                Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.POST, Url = r.TypeName },
            });
            entry++;
        }

        var patient = new Patient
        {
            Id = v.Pseudonym,
            Meta = new Meta { Security = [new Coding(FhirCodes.ActReason, "HTEST", "test health data")] },
            Identifier = [new Identifier(FhirCodes.SyntheticPatientSystem, v.Pseudonym)],
            Gender = v.Female ? AdministrativeGender.Female : AdministrativeGender.Male,
            BirthDate = v.BirthYear.ToString(CultureInfo.InvariantCulture),
        };
        bundle.Entry.Add(new Bundle.EntryComponent
        {
            FullUrl = Uuid(),
            Resource = patient,
            Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.PUT, Url = $"Patient/{v.Pseudonym}" },
        });
        entry++;

        Post(new Condition
        {
            ClinicalStatus = Concept(FhirCodes.ConditionClinical, "active"),
            VerificationStatus = Concept(FhirCodes.ConditionVerification, "confirmed"),
            Code = Concept(FhirCodes.Snomed, FhirCodes.Type1Diabetes, "Diabetes mellitus type 1"),
            Subject = subject,
        });

        var start = request.Start;
        Post(new Observation
        {
            Status = ObservationStatus.Final,
            Category = [Category("vital-signs")],
            Code = Concept(FhirCodes.Loinc, FhirCodes.BodyWeight, "Body weight"),
            Subject = subject,
            Effective = Time(start, 0),
            Value = new Quantity((decimal)v.Parameters[model.ParameterIndex("BW")], "kg"),
        });

        bool mmol = request.GlucoseUnit == "mmol/L";
        var glucoseCode = mmol
            ? Concept(FhirCodes.Loinc, FhirCodes.GlucoseMolesBlood, "Glucose [Moles/volume] in Blood")
            : Concept(FhirCodes.Loinc, FhirCodes.GlucoseMassBlood, "Glucose [Mass/volume] in Blood");
        int meal = 0;
        for (int day = 0; day < request.Days; day++)
        {
            Post(Insulin(subject, new Period(Time(start, day * 1440), Time(start, (day + 1) * 1440)), "basal rate (insulin pump)",
                dose: null, rate: Quantity(v.BasalUnitsPerHour, RateDisplay, Rate)));
            for (int k = 0; k < v.Times.Length; k++)
            {
                double t = v.Times[k];
                if (t < day * 1440 || t >= (day + 1) * 1440) continue;
                while (meal < v.Meals.Count && v.Meals[meal].Minute < t) PostMeal(v.Meals[meal++]);
                Post(new Observation
                {
                    Status = ObservationStatus.Final,
                    Category = [Category("laboratory")],
                    Code = glucoseCode,
                    Subject = subject,
                    Effective = Time(start, t),
                    Value = new Quantity(GlucoseValue(v.ObservedGlucoseMmol[k], request.GlucoseUnit), request.GlucoseUnit),
                });
            }
            while (meal < v.Meals.Count && v.Meals[meal].Minute < (day + 1) * 1440) PostMeal(v.Meals[meal++]);
        }

        void PostMeal(PlannedMeal m)
        {
            Post(new Observation
            {
                Status = ObservationStatus.Final,
                Code = Concept(FhirCodes.Loinc, FhirCodes.CarbohydrateIntake, "Carbohydrate intake Estimated"),
                Subject = subject,
                Effective = Time(start, m.Minute),
                Value = new Quantity(m.Carbohydrate, "g"),
            });
            if (m.BolusUnits > 0)
                Post(Insulin(subject, Time(start, m.Minute), "meal bolus", Quantity(m.BolusUnits, UnitDisplay, Unit), rate: null));
        }

        return (FhirJson.Serialize(bundle), bundle.Entry.Count);
    }

    /// <summary>The value a CGM shows: 0.1 mmol/L or 1 mg/dL resolution.</summary>
    public static decimal GlucoseValue(double mmol, string unit) => unit == "mg/dL"
        ? Math.Round((decimal)UnitRegistry.MillimolePerLitre.ConvertTo(mmol, UnitRegistry.MilligramPerDecilitre), 0, MidpointRounding.AwayFromZero)
        : Math.Round((decimal)mmol, 1, MidpointRounding.AwayFromZero);

    private static MedicationAdministration Insulin(ResourceReference subject, DataType effective, string text, Quantity? dose, Quantity? rate) => new()
    {
        Status = MedicationAdministration.MedicationAdministrationStatusCodes.Completed,
        Medication = Concept(FhirCodes.Atc, FhirCodes.InsulinAspartAtc, "insulin aspart"),
        Subject = subject,
        Effective = effective,
        Dosage = new MedicationAdministration.DosageComponent
        {
            Text = text,
            Route = Concept(FhirCodes.Snomed, FhirCodes.SubcutaneousRoute, "Subcutaneous route"),
            Dose = dose,
            Rate = rate,
        },
    };

    private static Quantity Quantity(double value, string display, string ucum) =>
        new() { Value = Math.Round((decimal)value, 2), Unit = display, System = FhirCodes.Ucum, Code = ucum };

    private static CodeableConcept Category(string code) => Concept(FhirCodes.ObservationCategory, code);

    private static CodeableConcept Concept(string system, string code, string? display = null) => new() { Coding = [new Coding(system, code, display)] };

    private static FhirDateTime Time(DateTimeOffset start, double minutes) =>
        new(start.AddMinutes(minutes).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
}
