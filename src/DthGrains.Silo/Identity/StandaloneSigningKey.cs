using System.Security.Cryptography;
using Microsoft.IdentityModel.Tokens;

namespace DthGrains.Silo.Identity;

/// <summary>
/// The standalone platform's token key: an ECDSA P-256 key created on first start in the data folder
/// (readable by its owner only). <c>dth token</c> signs with it; the silo validates with its public half.
/// </summary>
public static class StandaloneSigningKey
{
    public const string KeyId = "dth-standalone";

    public static string DefaultPath(string dataDirectory) => Contracts.Platform.DataFolders.SigningKey(dataDirectory);

    public static ECDsaSecurityKey LoadOrCreate(string path)
    {
        var ecdsa = File.Exists(path) ? Read(path) : WriteOrAdopt(path, ECDsa.Create(ECCurve.NamedCurves.nistP256));
        // Validation needs only the public half.
        var publicOnly = ECDsa.Create(ecdsa.ExportParameters(includePrivateParameters: false));
        return new ECDsaSecurityKey(publicOnly) { KeyId = KeyId };
    }

    /// <summary>
    /// Writes <paramref name="fresh"/> as the key, unless another silo sharing the data folder wrote one first (they may
    /// start at the same moment): then that one is read and used, so that every silo validates the same tokens.
    /// </summary>
    public static ECDsa WriteOrAdopt(string path, ECDsa fresh)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        Platform.PrivateFiles.CreateWithText(temp, fresh.ExportECPrivateKeyPem());
        try
        {
            File.Move(temp, path, overwrite: false);
            return fresh;
        }
        catch (IOException) when (File.Exists(path))
        {
            File.Delete(temp);
            return Read(path);
        }
    }

    private static ECDsa Read(string path)
    {
        var ecdsa = ECDsa.Create();
        ecdsa.ImportFromPem(File.ReadAllText(path));
        return ecdsa;
    }
}
