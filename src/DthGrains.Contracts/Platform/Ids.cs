using System.Text.RegularExpressions;

namespace DthGrains.Contracts.Platform;

/// <summary>
/// The one allow-list for entity ids: a lower-case slug or a GUID. Checked at the HTTP edge and again
/// before any grain is touched, so a bogus key never activates a grain (RELIABILITY.md row 17).
/// </summary>
public static partial class Ids
{
    public const string Rule =
        "an id is a lower-case slug (letters a-z, digits, single hyphens inside, 2 to 64 characters) or a GUID";

    [GeneratedRegex("^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){1,63}$", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 50)]
    private static partial Regex SlugPattern();

    public static bool IsValid(string? id) =>
        id is not null && id.Length <= 64 && (SlugPattern().IsMatch(id) || Guid.TryParseExact(id, "D", out _));

    /// <summary>Turns a display name into a slug candidate (ASCII letters and digits, hyphens between words).</summary>
    public static string Slugify(string name)
    {
        var chars = new List<char>(name.Length);
        foreach (var c in name.ToLowerInvariant())
        {
            if (c is >= 'a' and <= 'z' or >= '0' and <= '9') chars.Add(c);
            else if (chars.Count > 0 && chars[^1] != '-') chars.Add('-');
        }
        var slug = new string(chars.ToArray()).Trim('-');
        return slug.Length > 64 ? slug[..64].TrimEnd('-') : slug;
    }
}
