using System.Security.Cryptography;
using System.Text;

namespace DthGrains.Fhir.Synthetic;

/// <summary>
/// Name-based UUIDs (version 8, SHA-256 of a name): the same name always gives the same <c>urn:uuid</c>, which is
/// what makes generated bundles byte-identical, and the strict FHIR parser accepts them as real UUIDs.
/// </summary>
internal static class DeterministicUuid
{
    public static string Urn(string name)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(name), hash);
        hash[6] = (byte)((hash[6] & 0x0F) | 0x80);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        string hex = Convert.ToHexStringLower(hash[..16]);
        return $"urn:uuid:{hex[..8]}-{hex[8..12]}-{hex[12..16]}-{hex[16..20]}-{hex[20..32]}";
    }
}
