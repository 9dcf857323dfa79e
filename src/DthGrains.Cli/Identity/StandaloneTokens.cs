using System.Security.Cryptography;
using DthGrains.Contracts.Platform;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace DthGrains.Cli.Identity;

/// <summary>
/// Mints ES256 tokens with the standalone platform's signing key (created by the silo on first start in its
/// data folder). For local use and tests only: production tokens come from the institution's OIDC provider.
/// </summary>
public static class StandaloneTokens
{
    public const string DefaultIssuer = "dthgrains-standalone";
    public const string DefaultAudience = "dthgrains";

    /// <summary>Where the standalone silo keeps its key when no data folder is configured (or DTH_DATA_DIR names it).</summary>
    public static string DefaultKeyPath() => DataFolders.SigningKey(DataFolders.Default());

    public sealed record Request(
        string Subject,
        string Name,
        string? Institution,
        IReadOnlyList<string> Roles,
        TimeSpan Lifetime,
        string Issuer = DefaultIssuer,
        string Audience = DefaultAudience,
        DateTimeOffset? Now = null);

    public static string Mint(string keyPath, Request request)
    {
        if (!File.Exists(keyPath))
            throw new FileNotFoundException($"No signing key at {keyPath}. Start the standalone platform once (ops/run.sh) so it creates one, " +
                $"set {DataFolders.Variable} to the data folder it runs with, or pass --key.", keyPath);
        using var ecdsa = ECDsa.Create();
        try
        {
            ecdsa.ImportFromPem(File.ReadAllText(keyPath));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new Catalogue.UsageException($"Cannot read the signing key at {keyPath}: {ex.Message}");
        }
        catch (Exception ex) when (ex is ArgumentException or CryptographicException)
        {
            throw new Catalogue.UsageException($"{keyPath} holds no EC private key in PEM, as the standalone silo writes one ({ex.Message}).");
        }
        return Mint(ecdsa, request);
    }

    public static string Mint(ECDsa key, Request request)
    {
        var now = request.Now ?? DateTimeOffset.UtcNow;
        var claims = new Dictionary<string, object>
        {
            ["sub"] = request.Subject,
            ["name"] = request.Name,
            ["roles"] = request.Roles.ToArray(),
        };
        if (request.Institution is not null) claims["institution"] = request.Institution;
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = request.Issuer,
            Audience = request.Audience,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime.AddSeconds(-5),
            Expires = now.Add(request.Lifetime).UtcDateTime,
            Claims = claims,
            SigningCredentials = new SigningCredentials(SigningKey(key), SecurityAlgorithms.EcdsaSha256),
        };
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
    }

    /// <summary>
    /// No signature-provider cache: IdentityModel caches providers by key id, and would keep signing with
    /// the first key object it saw under "dth-standalone" (disposed, or another key) instead of this one.
    /// </summary>
    private static ECDsaSecurityKey SigningKey(ECDsa key) => new(key)
    {
        KeyId = "dth-standalone",
        CryptoProviderFactory = new CryptoProviderFactory { CacheSignatureProviders = false },
    };
}
