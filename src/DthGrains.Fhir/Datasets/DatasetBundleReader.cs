using System.Text;
using System.Text.Json;
using DthGrains.Fhir.Outcomes;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Hl7.Fhir.Utility;

namespace DthGrains.Fhir.Datasets;

/// <summary>
/// Strict, all-or-nothing reading of a dataset upload (a FHIR R4 Bundle of type transaction or collection). Three
/// passes, each refusing as early and as cheaply as it can:
/// <list type="number">
/// <item>a streaming scan (size, depth, entry count, JSON syntax, root resourceType): 400 or 413;</item>
/// <item>the strict Hl7.Fhir parse (unknown elements, bad codes and literals, missing required elements): 422;</item>
/// <item>dataset rules (bundle type, accepted resource types, requests, ids, references resolved inside the bundle): 422.</item>
/// </list>
/// The result holds plain records only; no Hl7.Fhir type leaves this project.
/// </summary>
public static class DatasetBundleReader
{
    /// <summary>Reads and validates a bundle from <paramref name="json"/> (UTF-8). The stream is read, not disposed.</summary>
    public static DatasetBundleResult Read(Stream json, DatasetBundleLimits limits, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(limits);
        limits.Validate();

        var scan = BundleScanner.Scan(json, limits, ct);
        if (scan.Failure is not null) return scan.Failure;

        Bundle bundle;
        try
        {
            var reader = new Utf8JsonReader(scan.Bytes, new JsonReaderOptions { MaxDepth = limits.MaxDepth + 1 });
            bundle = FhirJson.Deserializer.Deserialize<Bundle>(ref reader);
        }
        catch (DeserializationFailedException e)
        {
            return DatasetBundleResult.Fail(422, e.Exceptions.Select(ToIssue).ToList());
        }
        catch (JsonException e)
        {
            return DatasetBundleResult.Fail(400, IssueCodes.Structure, $"The body is not valid JSON: {e.Message}", "Bundle");
        }
        ct.ThrowIfCancellationRequested();
        return BundleValidator.Validate(bundle, ct);
    }

    /// <summary>Convenience for callers that hold the JSON as a string (tests, the CLI, the mapping).</summary>
    public static DatasetBundleResult Read(string json, DatasetBundleLimits? limits = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(json);
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(json), writable: false);
        return Read(stream, limits ?? DatasetBundleLimits.Default, ct);
    }

    private static OutcomeIssue ToIssue(CodedException e) => e is ExtendedCodedException x
        ? new OutcomeIssue(OperationOutcomes.FromSeverity(x.IssueSeverity), EnumUtility.GetLiteral(x.IssueType), x.Message, x.InstancePath)
        : new OutcomeIssue(OutcomeSeverity.Error, IssueCodes.Invalid, e.Message);
}
