using System.Security.Cryptography;
using DthGrains.Domain.Provenance;
using Microsoft.Extensions.Options;

namespace DthGrains.Grains.Provenance;

/// <summary>
/// The ledger's signing key: ECDSA P-256, created on first start as a PEM file readable by its owner only (the
/// pattern of the standalone token key). Signs checkpoints; its public half is published at
/// <c>/.well-known/dthgrains-ledger-key</c> and identified by its RFC 7638 thumbprint.
/// </summary>
public sealed class LedgerKey : IDisposable
{
    private readonly ECDsa _key;

    public LedgerKey(IOptions<LedgerOptions> options) : this(LoadOrCreate(options.Value.KeyPath))
    {
    }

    public LedgerKey(ECDsa key)
    {
        _key = key;
        KeyId = CheckpointSignature.KeyId(key);
        PublicKey = ECDsa.Create(key.ExportParameters(includePrivateParameters: false));
    }

    public string KeyId { get; }

    /// <summary>The public half only, for verification.</summary>
    public ECDsa PublicKey { get; }

    public string PublicPem => PublicKey.ExportSubjectPublicKeyInfoPem();

    /// <summary>The public key as a JWK (RFC 7517) with its thumbprint as <c>kid</c>.</summary>
    public IReadOnlyDictionary<string, string> PublicJwk
    {
        get
        {
            var p = PublicKey.ExportParameters(includePrivateParameters: false);
            return new Dictionary<string, string>
            {
                ["kty"] = "EC",
                ["crv"] = "P-256",
                ["x"] = CheckpointSignature.Base64Url(p.Q.X!),
                ["y"] = CheckpointSignature.Base64Url(p.Q.Y!),
                ["kid"] = KeyId,
                ["use"] = "sig",
                ["alg"] = "ES256",
            };
        }
    }

    public Contracts.Provenance.LedgerCheckpoint Sign(Contracts.Provenance.LedgerCheckpoint unsigned) => CheckpointSignature.Sign(unsigned, _key);

    public static ECDsa LoadOrCreate(string path)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new InvalidOperationException("Dth:Ledger:KeyPath names no file for the ledger key.");
        var key = ECDsa.Create();
        if (File.Exists(path))
        {
            key.ImportFromPem(File.ReadAllText(path));
        }
        else
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var temp = $"{path}.{Guid.NewGuid():N}.tmp";
            File.WriteAllText(temp, key.ExportECPrivateKeyPem());
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            try
            {
                File.Move(temp, path, overwrite: false);
            }
            catch (IOException) when (File.Exists(path))
            {
                // Another process created it first: use theirs, so that there is one key.
                File.Delete(temp);
                key = ECDsa.Create();
                key.ImportFromPem(File.ReadAllText(path));
            }
        }
        if (key.KeySize != 256) throw new InvalidOperationException($"The ledger key in {path} is not a P-256 key.");
        return key;
    }

    public void Dispose()
    {
        _key.Dispose();
        PublicKey.Dispose();
    }
}
