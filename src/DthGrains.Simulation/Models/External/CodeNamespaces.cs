using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace DthGrains.Simulation.Models.External;

/// <summary>
/// The Linux namespaces a code starts in (util-linux <c>unshare</c>; no privilege needed, only user namespaces):
/// <list type="bullet">
/// <item>always, when it starts in any: a PID namespace of its own with a /proc of its own, so that the code sees no
/// process but its own (not the silo's command lines, not other codes'), and everything it starts dies with it, also a
/// daemon that left its process group (<c>setsid</c>), which a kill of the group misses: when the namespace's first
/// process ends, the kernel kills the rest;</item>
/// <item>without a network: a network namespace of its own, with no interface but a loopback that is down;</item>
/// <item>without a sight of what a silo hides (<see cref="Hide"/>: its data folder, with the embedded database and its
/// socket, its token signing key, its configuration files and what its operator lists): a mount namespace in which an empty, read-only, inaccessible tmpfs lies over each
/// folder and /dev/null over each file. The mounts are made by the root of an outer user namespace (the silo's user outside), and the code runs in an
/// inner one that maps it back to the silo's user and group, so it sees its usual ids, holds no capability, and cannot
/// unmount them.</item>
/// </list>
/// A code with neither a network of its own nor anything hidden (a host-network code started where nothing is hidden, as
/// by <c>dth sim external</c>) starts without namespaces.
/// </summary>
internal static class CodeNamespaces
{
    /// <summary>The full path of util-linux's <c>unshare</c>, or null.</summary>
    public static string? Unshare { get; } = ProcessGroup.Setsid is null ? null : ProcessGroup.FindOnPath("unshare");

    /// <summary>The full path of <c>sh</c>: the first process of a code's PID namespace.</summary>
    internal static readonly string? Shell = ProcessGroup.Setsid is null ? null : ProcessGroup.FindOnPath("sh");

    // The first process of the code's PID namespace: it runs the code as its child and exits with its status (128 + the
    // signal's number when a signal ended it, as .NET reports a signalled child). It is not the code itself because the
    // first process of a namespace ignores every signal it has no handler for: a code's SIGSEGV sent to itself, the
    // kernel's SIGXCPU at its CPU limit. Its own standard error is /dev/null, so it does not add the shell's
    // "Segmentation fault" to the code's; the subshell hands the code the real one (fd 3) and execs it. Before, it waits
    // for the line Open sends once the code warden has the group (dash's read takes a pipe byte by byte, so the code's
    // input is left whole): a process killed between starting a code and telling its warden leaves nothing running, as
    // the first process then reads the end of its input and exits without running the code.
    internal const string RunAsChild = """exec 3>&2 2>/dev/null; read -r go || exit 125; ("$@") 2>&3 3>&-; exit $?""";

    /// <summary>
    /// Lets the code of <paramref name="process"/> run when it was started in namespaces (their first process waits for
    /// this); call it once the warden has the code's group. Needs the standard input redirected.
    /// </summary>
    public static void Open(Process process)
    {
        if (!process.StartInfo.ArgumentList.Contains(RunAsChild) && !process.StartInfo.ArgumentList.Contains(HideScript)) return;
        try
        {
            var input = process.StandardInput.BaseStream;
            input.Write("go\n"u8);
            input.Flush();
        }
        catch (IOException)
        {
            // It ended already (a mount refused): its exit code and standard error say why.
        }
    }

    // Mounts a tmpfs over each folder before "--" and /dev/null over each file, those that exist and are still in sight
    // (a file in a folder hidden before it is not), then runs the inner user namespace's unshare with the rest, as a child.
    private const string HideScript = """
        u=$1 uid=$2 gid=$3; shift 3
        while [ "$1" != -- ]; do
          if [ -d "$1" ]; then mount -t tmpfs -o ro,size=0,mode=000 dth-hidden "$1" || exit 125
          elif [ -f "$1" ]; then mount --bind /dev/null "$1" || exit 125
          fi
          shift
        done
        shift
        set -- "$u" --user --map-user="$uid" --map-group="$gid" -- "$@"

        """ + RunAsChild;

    // A PID namespace needs a fork (the namespace's first process is unshare's child; unshare waits for it and exits as it
    // did); --kill-child kills that child should unshare alone be killed; --mount-proc gives it a /proc of its own.
    private static readonly string[] PidNamespace = ["--pid", "--fork", "--kill-child", "--mount-proc"];

    private static readonly ConcurrentDictionary<string, int> HiddenFolders = new(StringComparer.Ordinal);

    /// <summary>
    /// Hides <paramref name="folders"/> (folders or files) from every code this process starts, until the registration is
    /// disposed (a silo hides its data folder and key for as long as it runs; several silos in one process hide the union).
    /// </summary>
    public static IDisposable Hide(IEnumerable<string> folders)
    {
        var full = folders.Select(Path.GetFullPath).Select(f => Path.TrimEndingDirectorySeparator(f)).Distinct(StringComparer.Ordinal).ToArray();
        foreach (var f in full) HiddenFolders.AddOrUpdate(f, 1, (_, n) => n + 1);
        return new Registration(full);
    }

    /// <summary>What is hidden now, what exists (a silo's folder of a test may be gone), a folder before what lies in it.</summary>
    public static IReadOnlyList<string> Hidden => [.. HiddenFolders.Keys.Where(p => Directory.Exists(p) || File.Exists(p)).Order(StringComparer.Ordinal)];

    private sealed class Registration(string[] folders) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
            foreach (var f in folders)
                if (HiddenFolders.AddOrUpdate(f, 0, (_, n) => n - 1) <= 0) HiddenFolders.TryRemove(new KeyValuePair<string, int>(f, 0));
        }
    }

    // Each chain is tried as it will run: a machine may refuse network namespaces and allow the rest.
    private static readonly Lazy<string?> NetworkProblem = new(() => Probe(isolateNetwork: true, hide: false));
    private static readonly Lazy<string?> HidingProblem = new(() => Probe(isolateNetwork: true, hide: true));
    private static readonly Lazy<string?> HidingOnHostNetworkProblem = new(() => Probe(isolateNetwork: false, hide: true));

    /// <summary>
    /// Null when this machine can start a code in the namespaces asked for (tried once each: some kernels and container
    /// runtimes refuse user namespaces to unprivileged processes); otherwise what is missing.
    /// </summary>
    public static string? Problem(bool isolateNetwork, bool hide) =>
        hide ? (isolateNetwork ? HidingProblem : HidingOnHostNetworkProblem).Value : isolateNetwork ? NetworkProblem.Value : null;

    /// <summary>Adds to <paramref name="arguments"/> the execs that start the command in the namespaces asked for.</summary>
    public static void Add(IList<string> arguments, bool isolateNetwork, IReadOnlyList<string> hidden)
    {
        if (!isolateNetwork && hidden.Count == 0) return;
        var unshare = Unshare ?? throw new InvalidOperationException("Namespaces for a code need util-linux's unshare on the PATH.");
        arguments.Add(unshare);
        var shell = Shell ?? throw new InvalidOperationException("Namespaces for a code need sh on the PATH.");
        if (hidden.Count == 0)
        {
            foreach (var a in (string[])["--user", "--map-current-user", "--net", .. PidNamespace, "--", shell, "-c", RunAsChild, "dth-init"]) arguments.Add(a);
            return;
        }
        foreach (var a in (string[])["--user", "--map-root-user", "--mount", .. isolateNetwork ? (string[])["--net"] : [], .. PidNamespace, "--",
                     shell, "-c", HideScript, "dth-confine", unshare,
                     ProcessGroup.geteuid().ToString(CultureInfo.InvariantCulture), ProcessGroup.getegid().ToString(CultureInfo.InvariantCulture)])
            arguments.Add(a);
        foreach (var folder in hidden) arguments.Add(folder);
        arguments.Add("--");
    }

    private static string? Probe(bool isolateNetwork, bool hide)
    {
        if (ProcessGroup.Setsid is null) return "it is not Linux with util-linux's setsid";
        if (Unshare is null) return "util-linux's unshare is not on the PATH";
        if (ProcessGroup.FindOnPath("true") is not { } nothing) return "'true' is not on the PATH";
        var folder = hide ? Directory.CreateTempSubdirectory("dth-probe-").FullName : null;
        try
        {
            var start = new ProcessStartInfo(Unshare) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardInput = true };
            var arguments = new List<string>();
            Add(arguments, isolateNetwork, folder is null ? [] : [folder]);
            foreach (var a in arguments.Skip(1)) start.ArgumentList.Add(a);
            start.ArgumentList.Add(nothing);
            using var probe = Process.Start(start)!;
            Open(probe);
            probe.StandardInput.Close();
            var error = probe.StandardError.ReadToEnd().Trim();
            probe.WaitForExit();
            return probe.ExitCode == 0 ? null
                : $"its namespaces ({string.Join(", ", ((string?[])[isolateNetwork ? "no network" : null, hide ? "the silo's folders hidden" : null, "PIDs and a /proc of its own"]).OfType<string>())}) " +
                  $"could not be made here ({(error.Length > 0 ? error : $"exit code {probe.ExitCode}")}): user namespaces are off for this user, or /proc is partly masked (as in a container)";
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return $"unshare did not start: {e.Message}";
        }
        finally
        {
            if (folder is not null) Directory.Delete(folder);
        }
    }
}
