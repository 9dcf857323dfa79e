using System.Runtime.InteropServices;

namespace DthGrains.Silo.Platform.Postgres;

/// <summary>Facts about the operating-system user this process runs as.</summary>
internal static class ProcessUser
{
    [DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint GetEffectiveUserId();

    private static readonly Lazy<bool> Root = new(() =>
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
        {
            return false;
        }

        try
        {
            return GetEffectiveUserId() == 0;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return string.Equals(Environment.UserName, "root", StringComparison.Ordinal);
        }
    });

    /// <summary>True when the effective user id is 0.</summary>
    public static bool IsRoot() => Root.Value;
}
