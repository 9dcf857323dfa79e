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
        var ecdsa = ECDsa.Create();
        if (File.Exists(path))
        {
            ecdsa.ImportFromPem(File.ReadAllText(path));
        }
        else
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var temp = path + ".tmp";
            File.WriteAllText(temp, ecdsa.ExportECPrivateKeyPem());
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            File.Move(temp, path, overwrite: false);
        }
        // Validation needs only the public half.
        var publicOnly = ECDsa.Create(ecdsa.ExportParameters(includePrivateParameters: false));
        return new ECDsaSecurityKey(publicOnly) { KeyId = KeyId };
    }
}
