using System.Collections;
using System.Security.Cryptography;
using System.Text;
using DthGrains.Fhir.Outcomes;
using Hl7.Fhir.Model;
using Hl7.Fhir.Utility;

namespace DthGrains.Fhir.Datasets;

/// <summary>
/// The dataset rules on a parsed Bundle: type transaction or collection; only the accepted resource types; transaction
/// entries with a POST or PUT request that matches the resource; every resource with an id (its own, or the UUID of a
/// <c>urn:uuid</c> fullUrl); ids and fullUrls unique; every literal reference resolved inside the bundle (a dataset is
/// self-contained). Then builds the canonical rows: ids assigned, references rewritten to <c>Type/id</c>.
/// </summary>
internal static class BundleValidator
{
    /// <summary>Resource types a dataset may contain.</summary>
    public static readonly IReadOnlySet<string> AcceptedTypes = new SortedSet<string>(StringComparer.Ordinal)
    {
        "Patient", "Observation", "Condition", "MedicationAdministration", "MedicationStatement", "Encounter",
    };

    private const string UrnUuid = "urn:uuid:";

    private sealed record EntryKey(string Type, string Id);

    public static DatasetBundleResult Validate(Bundle bundle, CancellationToken ct)
    {
        if (bundle.Type is not (Bundle.BundleType.Transaction or Bundle.BundleType.Collection))
            return DatasetBundleResult.Fail(422, IssueCodes.NotSupported,
                $"A dataset is a Bundle of type transaction or collection, not '{(bundle.Type is { } t ? EnumUtility.GetLiteral(t) : "(none)")}'.", "Bundle.type");
        bool transaction = bundle.Type == Bundle.BundleType.Transaction;
        if (bundle.Entry.Count == 0)
            return DatasetBundleResult.Fail(422, IssueCodes.Required, "A dataset bundle needs at least one entry.", "Bundle.entry");

        var issues = new List<OutcomeIssue>();
        var entries = bundle.Entry;
        var keys = new EntryKey?[entries.Count];
        var byFullUrl = new Dictionary<string, int>(StringComparer.Ordinal);
        var byKey = new Dictionary<EntryKey, int>();
        for (int i = 0; i < entries.Count; i++)
        {
            if ((i & 1023) == 0) ct.ThrowIfCancellationRequested();
            var key = CheckEntry(entries[i], i, transaction, issues);
            if (key is null) continue;
            string path = $"Bundle.entry[{i}]";
            if (!byKey.TryAdd(key, i))
                issues.Add(Error(IssueCodes.Duplicate, $"{key.Type}/{key.Id} also appears in Bundle.entry[{byKey[key]}].", $"{path}.resource.id"));
            if (entries[i].FullUrl is { } fullUrl && !byFullUrl.TryAdd(fullUrl, i))
                issues.Add(Error(IssueCodes.Duplicate, $"fullUrl '{fullUrl}' also appears in Bundle.entry[{byFullUrl[fullUrl]}].", $"{path}.fullUrl"));
            keys[i] = key;
        }
        if (issues.Count > 0) return DatasetBundleResult.Fail(422, issues);

        for (int i = 0; i < entries.Count; i++)
        {
            if ((i & 1023) == 0) ct.ThrowIfCancellationRequested();
            var resource = entries[i].Resource!;
            resource.Id = keys[i]!.Id;
            ResolveReferences(resource, resource, $"Bundle.entry[{i}].resource", keys, byFullUrl, byKey, issues);
        }
        if (issues.Count > 0) return DatasetBundleResult.Fail(422, issues);

        return DatasetBundleResult.Success(BuildContent(bundle, keys, ct));
    }

    private static EntryKey? CheckEntry(Bundle.EntryComponent entry, int i, bool transaction, List<OutcomeIssue> issues)
    {
        string path = $"Bundle.entry[{i}]";
        var resource = entry.Resource;
        if (resource is null)
        {
            issues.Add(Error(IssueCodes.Required, "Every entry of a dataset carries a resource.", $"{path}.resource"));
            return null;
        }
        string type = resource.TypeName;
        if (!AcceptedTypes.Contains(type))
        {
            issues.Add(Error(IssueCodes.NotSupported, $"Resource type '{type}' is not accepted in a dataset (accepted: {string.Join(", ", AcceptedTypes)}).", $"{path}.resource"));
            return null;
        }

        string? id = resource.Id;
        if (id is null && entry.FullUrl is { } url && url.StartsWith(UrnUuid, StringComparison.OrdinalIgnoreCase))
            id = url[UrnUuid.Length..].ToLowerInvariant();
        if (id is null)
        {
            issues.Add(Error(IssueCodes.Required, "The resource needs an id or a urn:uuid fullUrl, so that references to it and the dataset's checksum are stable.", $"{path}.resource.id"));
            return null;
        }

        if (transaction)
        {
            var request = entry.Request;
            if (request is null)
            {
                issues.Add(Error(IssueCodes.Required, "A transaction entry needs a request (bdl-3).", $"{path}.request"));
                return null;
            }
            switch (request.Method)
            {
                case Bundle.HTTPVerb.POST when !string.Equals(request.Url, type, StringComparison.Ordinal):
                    issues.Add(Error(IssueCodes.Invalid, $"A POST of a {type} goes to '{type}', not '{request.Url}'.", $"{path}.request.url"));
                    return null;
                case Bundle.HTTPVerb.PUT when !string.Equals(request.Url, $"{type}/{resource.Id}", StringComparison.Ordinal):
                    issues.Add(Error(IssueCodes.Invalid, $"A PUT must name the resource it carries ('{type}/{resource.Id ?? "<id>"}'), not '{request.Url}'.", $"{path}.request.url"));
                    return null;
                case Bundle.HTTPVerb.POST or Bundle.HTTPVerb.PUT:
                    break;
                default:
                    issues.Add(Error(IssueCodes.NotSupported, $"A dataset upload only creates resources (POST or PUT), not {request.Method}.", $"{path}.request.method"));
                    return null;
            }
        }
        else if (entry.Request is not null)
        {
            issues.Add(Error(IssueCodes.Invariant, "Only batch and transaction entries carry a request (bdl-3).", $"{path}.request"));
            return null;
        }
        return new EntryKey(type, id);
    }

    private static void ResolveReferences(Base node, Resource root, string path, EntryKey?[] keys,
        Dictionary<string, int> byFullUrl, Dictionary<EntryKey, int> byKey, List<OutcomeIssue> issues)
    {
        if (node is ResourceReference reference && reference.Reference is { } target)
        {
            if (target.StartsWith('#'))
            {
                string local = target[1..];
                bool found = local.Length == 0 || (root is DomainResource d && d.Contained.Any(c => c.Id == local));
                if (!found) issues.Add(Error(IssueCodes.NotFound, $"Reference '{target}' names no contained resource.", path));
            }
            else if (Resolve(target, byFullUrl, byKey) is { } index)
                reference.Reference = $"{keys[index]!.Type}/{keys[index]!.Id}";
            else
                issues.Add(Error(IssueCodes.NotFound, $"Reference '{target}' does not resolve to an entry of the bundle (by fullUrl or type/id); a dataset must be self-contained.", path));
            return;
        }
        foreach (var (name, value) in node.EnumerateElements())
        {
            switch (value)
            {
                case Base child:
                    ResolveReferences(child, root, $"{path}.{name}", keys, byFullUrl, byKey, issues);
                    break;
                case IList list when value is not string:
                    for (int k = 0; k < list.Count; k++)
                        if (list[k] is Base item)
                            ResolveReferences(item, root, $"{path}.{name}[{k}]", keys, byFullUrl, byKey, issues);
                    break;
            }
        }
    }

    private static int? Resolve(string target, Dictionary<string, int> byFullUrl, Dictionary<EntryKey, int> byKey)
    {
        if (byFullUrl.TryGetValue(target, out int i)) return i;
        if (target.Contains(':', StringComparison.Ordinal)) return null; // absolute (urn:, http:) and not a fullUrl here
        var parts = target.Split('/');
        // Type/id or Type/id/_history/version
        if (parts.Length is 2 or 4 && (parts.Length == 2 || parts[2] == "_history") && byKey.TryGetValue(new EntryKey(parts[0], parts[1]), out i)) return i;
        return null;
    }

    private static DatasetContent BuildContent(Bundle bundle, EntryKey?[] keys, CancellationToken ct)
    {
        var rows = new List<DatasetResource>(keys.Length);
        var counts = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var subjects = new SortedSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < keys.Length; i++)
        {
            if ((i & 1023) == 0) ct.ThrowIfCancellationRequested();
            var resource = bundle.Entry[i].Resource!;
            var key = keys[i]!;
            string? subject = key.Type == "Patient" ? key.Id : SubjectOf(resource);
            if (key.Type == "Patient") subjects.Add(key.Id);
            rows.Add(new DatasetResource(key.Type, key.Id, subject, FhirJson.Serialize(resource)));
            counts[key.Type] = counts.GetValueOrDefault(key.Type) + 1;
        }
        return new DatasetContent(bundle.Type == Bundle.BundleType.Transaction ? "transaction" : "collection",
            rows, counts, subjects.ToList(), Checksum(rows));
    }

    /// <summary>The Patient id a clinical resource is about (its subject, already rewritten to Patient/id), or null.</summary>
    internal static string? SubjectOf(Resource resource)
    {
        var subject = resource switch
        {
            Observation o => o.Subject,
            Condition c => c.Subject,
            MedicationAdministration m => m.Subject,
            MedicationStatement s => s.Subject,
            Encounter e => e.Subject,
            _ => null,
        };
        const string prefix = "Patient/";
        return subject?.Reference is { } r && r.StartsWith(prefix, StringComparison.Ordinal) ? r[prefix.Length..] : null;
    }

    /// <summary>SHA-256 over the rows in (type, id) order: type, US, id, US, JSON, RS for each.</summary>
    internal static string Checksum(IEnumerable<DatasetResource> rows)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var row in rows.OrderBy(r => r.ResourceType, StringComparer.Ordinal).ThenBy(r => r.Id, StringComparer.Ordinal))
        {
            hash.AppendData(Encoding.UTF8.GetBytes(row.ResourceType));
            hash.AppendData([0x1F]);
            hash.AppendData(Encoding.UTF8.GetBytes(row.Id));
            hash.AppendData([0x1F]);
            hash.AppendData(Encoding.UTF8.GetBytes(row.Json));
            hash.AppendData([0x1E]);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static OutcomeIssue Error(string code, string diagnostics, string expression) => new(OutcomeSeverity.Error, code, diagnostics, expression);
}
