using System.Diagnostics;
using System.Runtime.InteropServices;

namespace DthGrains.Simulation.Models.External;

/// <summary>
/// Starts an external code as the leader of a process group of its own (through util-linux's <c>setsid</c>), so that
/// everything it starts can be killed with it: a code that leaves a background process behind would otherwise keep the
/// standard output pipe open after it exits, and the worker reading it would wait for that process, perhaps for ever.
/// Where there is no <c>setsid</c> (not Linux), the code starts directly and only its tree as .NET sees it is killed.
/// A <see cref="CodeWarden"/> kills the groups still running when this process ends, SIGKILL included. Limits
/// (<c>prlimit</c>) and namespaces (<see cref="CodeNamespaces"/>) are further execs in the same chain. The price of
/// <c>setsid</c> is one exec per process, 2.4–2.8 ms here; a silo's whole confinement, about 29 ms (<c>ops/bench.sh
/// external</c> times it apart), against codes whose subjects take seconds.
/// </summary>
internal static class ProcessGroup
{
    /// <summary>The full path of <c>setsid</c>, or null when it is not on the PATH (or this is not Linux).</summary>
    public static string? Setsid { get; } = OperatingSystem.IsLinux() ? FindOnPath("setsid") : null;

    /// <summary>The full path of util-linux's <c>prlimit</c>, or null (where there is no setsid either, limits cannot be set).</summary>
    public static string? Prlimit { get; } = Setsid is null ? null : FindOnPath("prlimit");

    /// <summary>
    /// A start of <paramref name="command"/> (full path) with <paramref name="arguments"/>, as a group leader when possible,
    /// with <paramref name="limits"/> (for <paramref name="subjects"/> subjects) when set (the caller checked <see cref="Prlimit"/>),
    /// without a network when <paramref name="isolateNetwork"/>, and without a sight of <paramref name="hidden"/> folders (the
    /// caller checked <see cref="CodeNamespaces.Problem"/>), then, and when <paramref name="confineWrites"/>, on a read-only
    /// file system with scratch over its working folder <paramref name="work"/>, which it then needs (its mount table is
    /// written there).
    /// </summary>
    public static ProcessStartInfo StartInfo(string command, IEnumerable<string> arguments, ExternalLimits? limits = null, int subjects = 1, bool isolateNetwork = false,
        IReadOnlyList<string>? hidden = null, bool confineWrites = false, string? work = null)
    {
        // setsid execs the command in its own place (a child of .NET is never a group leader, so setsid need not fork):
        // the process .NET waits for has its group's id. prlimit, when there are limits, sets them on itself and execs the
        // command in turn: still the same process. Without namespaces that process is the code itself. With them it is
        // unshare, which forks the PID namespace's first process (a shell running the code as its child; CodeNamespaces),
        // waits for it and exits as it did; all of them stay in the group, and inherit the limits.
        var start = Setsid is { } setsid ? new ProcessStartInfo(setsid) : new ProcessStartInfo(command);
        hidden ??= [];
        if (Setsid is null && (isolateNetwork || hidden.Count > 0 || confineWrites)) throw new InvalidOperationException("Namespaces for a code need Linux with util-linux.");
        if (Setsid is not null)
        {
            if (limits is { Any: true })
            {
                start.ArgumentList.Add(Prlimit ?? throw new InvalidOperationException("Limits need util-linux's prlimit on the PATH."));
                if (limits.MemoryMiB is { } mib) start.ArgumentList.Add($"--data={(long)mib << 20}");
                // The soft limit sends SIGXCPU (the failure then names the limit); the hard one, a second later, SIGKILL
                // for a code that catches SIGXCPU.
                if (limits.CpuSeconds is { } cpu) start.ArgumentList.Add($"--cpu={(long)cpu * subjects}:{(long)cpu * subjects + 1}");
                start.ArgumentList.Add("--");
            }
            // The scratch lives in memory: the code's memory limit bounds it too.
            CodeNamespaces.Add(start.ArgumentList, isolateNetwork, hidden, confineWrites, work, limits?.MemoryMiB);
            start.ArgumentList.Add(command);
        }
        foreach (var a in arguments) start.ArgumentList.Add(a);
        if (work is not null) start.WorkingDirectory = work;
        return start;
    }

    /// <summary>
    /// Hands <paramref name="process"/>'s group to the <see cref="CodeWarden"/>, which kills it if this process ends
    /// (by any signal, SIGKILL included) before <see cref="Ended"/>; then lets a code started in namespaces run (its
    /// standard input redirected), so none runs unwatched.
    /// </summary>
    public static void Started(Process process)
    {
        CodeWarden.Shared.Watch(process.Id);
        CodeNamespaces.Open(process);
    }

    /// <summary>The subject of <paramref name="process"/> has ended (its group was killed or is empty).</summary>
    public static void Ended(Process process)
    {
        int id;
        try { id = process.Id; }
        catch (InvalidOperationException) { return; } // never started
        CodeWarden.Shared.Release(id);
    }

    /// <summary>Kills the group <paramref name="process"/> leads (all of it, also what outlived the leader), else its tree.</summary>
    public static void Kill(Process process)
    {
        int id;
        try { id = process.Id; }
        catch (InvalidOperationException) { return; } // never started
        if (Setsid is not null && id > 1)
        {
            // A group whose members are all gone answers ESRCH: nothing to do. Its id cannot be reused while a member lives.
            _ = kill(-id, SigKill);
            return;
        }
        try { process.Kill(entireProcessTree: true); }
        catch (InvalidOperationException) { } // exited meanwhile
    }

    private const int SigKill = 9;

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);

    [DllImport("libc")]
    internal static extern uint geteuid();

    [DllImport("libc")]
    internal static extern uint getegid();

    /// <summary>The full path of program <paramref name="name"/> in a folder of the PATH, or null.</summary>
    internal static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name)).FirstOrDefault(File.Exists);
}
