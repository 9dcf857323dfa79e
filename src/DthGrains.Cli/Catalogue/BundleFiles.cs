using System.Text.Json;
using System.Text.Json.Nodes;

namespace DthGrains.Cli.Catalogue;

/// <summary>
/// The bundles of one dataset version, from files and folders: `dth synth` writes a bundle per patient into a folder,
/// and a version is one bundle. Several are sent as one, their entries in file order, all or nothing as before.
/// </summary>
public static class BundleFiles
{
    /// <summary>Files as given; a folder's <c>*.json</c> files by name, leaving out those that are not FHIR Bundles (truth.json beside synthetic patients).</summary>
    public static IReadOnlyList<FileInfo> Expand(IEnumerable<FileSystemInfo> given)
    {
        var files = new List<FileInfo>();
        foreach (var item in given)
        {
            if (item is DirectoryInfo folder)
                files.AddRange(folder.EnumerateFiles("*.json").OrderBy(f => f.Name, StringComparer.Ordinal).Where(IsBundle));
            else files.Add(new FileInfo(item.FullName));
        }
        return files;
    }

    /// <summary>
    /// One bundle holding every entry of <paramref name="bundles"/> in order, of their common type; or why not (a file that
    /// is not a Bundle, types that differ, a fullUrl two files both use: references between entries would be ambiguous).
    /// The given bundles give up their entries to it.
    /// </summary>
    public static (JsonObject? Bundle, string? Error) Merge(IReadOnlyList<(string Name, JsonNode? Content)> bundles)
    {
        if (bundles.Count == 0) return (null, "No FHIR Bundle to upload: give --bundle a Bundle file, or a folder holding some.");
        string? type = null;
        var entries = new JsonArray();
        var firstUse = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, content) in bundles)
        {
            if (content is not JsonObject bundle || bundle["resourceType"]?.GetValue<string>() != "Bundle")
                return (null, $"{name} is not a FHIR Bundle (its resourceType must be 'Bundle').");
            var its = bundle["type"]?.GetValue<string>();
            if (type is not null && its != type) return (null, $"{name} is a '{its}' bundle, the ones before it '{type}': send bundles of one type.");
            type = its;
            // The entries move from their file's bundle to the merged one (detached, not copied: a version can be large).
            var theirs = bundle["entry"]?.AsArray() is { } array ? array.ToList() : [];
            bundle["entry"]?.AsArray().Clear();
            foreach (var entry in theirs)
            {
                if (entry?["fullUrl"]?.GetValue<string>() is { } url && !firstUse.TryAdd(url, name))
                    return (null, $"{name} and {firstUse[url]} both have an entry with fullUrl {url}: one version cannot hold both.");
                entries.Add(entry);
            }
        }
        return (new JsonObject { ["resourceType"] = "Bundle", ["type"] = type, ["entry"] = entries }, null);
    }

    private static bool IsBundle(FileInfo file)
    {
        try
        {
            using var stream = file.OpenRead();
            var reader = new Utf8JsonReader(new ReadOnlySpan<byte>(ReadStart(stream)), isFinalBlock: false, state: default);
            // The resourceType of a top-level object, wherever it is among its members (first in practice).
            int depth = 0;
            while (reader.Read())
            {
                if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray) depth++;
                else if (reader.TokenType is JsonTokenType.EndObject or JsonTokenType.EndArray) depth--;
                else if (depth == 1 && reader.TokenType == JsonTokenType.PropertyName && reader.ValueTextEquals("resourceType"))
                    return reader.Read() && reader.TokenType == JsonTokenType.String && reader.ValueTextEquals("Bundle");
            }
            return false;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>The file's first 64 KB: enough to find a top-level resourceType written before the entries.</summary>
    private static byte[] ReadStart(Stream stream)
    {
        var buffer = new byte[64 * 1024];
        int read = 0, n;
        while (read < buffer.Length && (n = stream.Read(buffer, read, buffer.Length - read)) > 0) read += n;
        return buffer[..read];
    }
}
