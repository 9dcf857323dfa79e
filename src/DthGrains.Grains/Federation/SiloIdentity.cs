namespace DthGrains.Grains.Federation;

/// <summary>Turns an Orleans silo address into a stable id that passes the id allow-list and names a stream.</summary>
public static class SiloIdentity
{
    /// <summary><c>127.0.0.1:11111@123456</c> becomes <c>s-127-0-0-1-11111-123456</c>.</summary>
    public static string IdFor(SiloAddress address) =>
        "s-" + string.Concat(address.ToParsableString().Select(c => char.IsAsciiLetterOrDigit(c) ? char.ToLowerInvariant(c) : '-'));

    public static string StreamKeyFor(string siloId) => $"silo:{siloId}";
}
