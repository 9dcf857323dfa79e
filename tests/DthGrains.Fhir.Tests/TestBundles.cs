using System.Text;
using System.Text.Json.Nodes;
using DthGrains.Fhir.Synthetic;

namespace DthGrains.Fhir.Tests;

/// <summary>Hand-written FHIR JSON for the tests, and one small synthetic cohort shared by them (generated once).</summary>
internal static class TestBundles
{
    private static readonly Lazy<SyntheticCohort> OneDay = new(() => SyntheticPatients.Generate(new SyntheticCohortRequest(Patients: 2, Days: 1, Seed: 7)));

    /// <summary>Two patients, one day each, seed 7.</summary>
    public static SyntheticCohort SmallCohort => OneDay.Value;

    public const string PatientUuid = "urn:uuid:6f1c1b9e-2d0a-4b8e-9a43-1f2e3d4c5b6a";
    public const string ObservationUuid = "urn:uuid:0b7d4c2e-8e1f-4a5b-9c6d-7e8f9a0b1c2d";

    public static JsonObject Bundle(string type, params JsonObject[] entries) => new()
    {
        ["resourceType"] = "Bundle",
        ["type"] = type,
        ["entry"] = new JsonArray(entries.Select(e => (JsonNode)e).ToArray()),
    };

    public static JsonObject Entry(JsonObject resource, string? fullUrl = null, string? method = null, string? url = null)
    {
        var entry = new JsonObject();
        if (fullUrl is not null) entry["fullUrl"] = fullUrl;
        entry["resource"] = resource;
        if (method is not null) entry["request"] = new JsonObject { ["method"] = method, ["url"] = url };
        return entry;
    }

    public static JsonObject Patient(string id) => new() { ["resourceType"] = "Patient", ["id"] = id, ["gender"] = "female" };

    public static JsonObject Glucose(string subject, string time, double value, string? unit = "mmol/L", string code = "15074-8") =>
        Observation(subject, code, time, Quantity(value, unit));

    public static JsonObject Observation(string subject, string code, string time, JsonObject? value)
    {
        var o = new JsonObject
        {
            ["resourceType"] = "Observation",
            ["status"] = "final",
            ["code"] = new JsonObject { ["coding"] = new JsonArray(new JsonObject { ["system"] = "http://loinc.org", ["code"] = code }) },
            ["subject"] = new JsonObject { ["reference"] = subject },
            ["effectiveDateTime"] = time,
        };
        if (value is not null) o["valueQuantity"] = value;
        return o;
    }

    public static JsonObject Quantity(double value, string? ucum, string? display = null)
    {
        var q = new JsonObject { ["value"] = value };
        if (display is not null) q["unit"] = display;
        if (ucum is not null) { q["system"] = "http://unitsofmeasure.org"; q["code"] = ucum; }
        return q;
    }

    public static JsonObject Insulin(string subject, JsonObject effective, JsonObject? dose = null, JsonObject? rate = null, string atc = "A10AB05")
    {
        var dosage = new JsonObject();
        if (dose is not null) dosage["dose"] = dose;
        if (rate is not null) dosage["rateQuantity"] = rate;
        var m = new JsonObject
        {
            ["resourceType"] = "MedicationAdministration",
            ["status"] = "completed",
            ["medicationCodeableConcept"] = new JsonObject { ["coding"] = new JsonArray(new JsonObject { ["system"] = "http://www.whocc.no/atc", ["code"] = atc }) },
            ["subject"] = new JsonObject { ["reference"] = subject },
            ["dosage"] = dosage,
        };
        foreach (var (k, v) in effective) m[k] = v?.DeepClone();
        return m;
    }

    public static JsonObject At(string time) => new() { ["effectiveDateTime"] = time };

    public static JsonObject During(string start, string end) => new() { ["effectivePeriod"] = new JsonObject { ["start"] = start, ["end"] = end } };

    public static MemoryStream Stream(string json) => new(Encoding.UTF8.GetBytes(json), writable: false);
}

/// <summary>A stream that hides its length and cannot seek, as a request body does.</summary>
internal sealed class ForwardOnlyStream(Stream inner) : Stream
{
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
