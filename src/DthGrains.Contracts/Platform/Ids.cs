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

    // No match timeout, here or on the other id patterns: each is unambiguous (every character has one way to match, so
    // matching is linear in the input), and a timeout is wall-clock time: on a starved machine 50 ms passed while a
    // silo starting validated its own institution's id, and it died of a RegexMatchTimeoutException.
    [GeneratedRegex("^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){1,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex SlugPattern();

    public static bool IsValid(string? id) =>
        id is not null && id.Length <= 64 && (SlugPattern().IsMatch(id) || Guid.TryParseExact(id, "D", out _));

    [GeneratedRegex(@"^[A-Za-z0-9\-\.]{1,64}$", RegexOptions.CultureInvariant)]
    private static partial Regex FhirIdPattern();

    /// <summary>
    /// A FHIR R4 resource id ([A-Za-z0-9\-\.]{1,64}): what a dataset names its subjects by (a Patient's id, the pseudonym),
    /// wider than the platform's own slugs.
    /// </summary>
    public static bool IsFhirId(string? id) => id is not null && FhirIdPattern().IsMatch(id);

    /// <summary>
    /// Turns a display name into a slug candidate (ASCII letters and digits, hyphens between words). Accented letters
    /// keep their base letter ("Charité" is "charite", not "charit-"); the few Latin letters without one are spelt out.
    /// </summary>
    public static string Slugify(string name)
    {
        var chars = new List<char>(name.Length);
        foreach (var c in Transliterated(name.ToLowerInvariant()))
        {
            if (c is >= 'a' and <= 'z' or >= '0' and <= '9') chars.Add(c);
            else if (chars.Count > 0 && chars[^1] != '-') chars.Add('-');
        }
        var slug = new string(chars.ToArray()).Trim('-');
        return slug.Length > 64 ? slug[..64].TrimEnd('-') : slug;
    }

    /// <summary>
    /// The base letters of the Latin-1 and Latin Extended-A letters (lower case). A table, not Unicode decomposition:
    /// the build runs with invariant globalization, where <see cref="string.Normalize()"/> decomposes nothing.
    /// </summary>
    private static readonly Dictionary<char, string> Latin = new[]
    {
        ("àáâãäåāăą", "a"), ("çćĉċč", "c"), ("ďđð", "d"), ("èéêëēĕėęě", "e"), ("ĝğġģ", "g"), ("ĥħ", "h"), ("ìíîïĩīĭįı", "i"),
        ("ĵ", "j"), ("ķ", "k"), ("ĺļľŀł", "l"), ("ñńņňŉ", "n"), ("òóôõöøōŏő", "o"), ("ŕŗř", "r"), ("śŝşšſ", "s"), ("ţťŧ", "t"),
        ("ùúûüũūŭůűų", "u"), ("ŵ", "w"), ("ýÿŷ", "y"), ("źżž", "z"), ("ß", "ss"), ("æ", "ae"), ("œ", "oe"), ("þ", "th"), ("ĳ", "ij"),
    }.SelectMany(p => p.Item1.Select(c => (c, p.Item2))).ToDictionary(p => p.c, p => p.Item2);

    private static IEnumerable<char> Transliterated(string lower)
    {
        foreach (var c in lower)
        {
            if (Latin.TryGetValue(c, out var spelt)) foreach (var s in spelt) yield return s;
            else yield return c;
        }
    }
}
