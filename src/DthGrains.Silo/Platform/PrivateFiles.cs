using System.Text;

namespace DthGrains.Silo.Platform;

/// <summary>Files that hold secrets (the token signing key, the join file's superuser password).</summary>
public static class PrivateFiles
{
    /// <summary>
    /// Writes <paramref name="text"/> to a new file that is the owner's alone (0600) from the moment it exists: written
    /// first and made private after, it was readable by any local user for that moment, and a descriptor opened then
    /// stays readable. Fails if the file exists (callers write a temporary name and move it into place).
    /// </summary>
    public static void CreateWithText(string path, string text)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using var stream = new FileStream(path, options);
        stream.Write(Encoding.UTF8.GetBytes(text));
    }
}
