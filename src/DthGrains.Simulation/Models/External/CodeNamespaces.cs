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
/// socket, its token signing key, its configuration files and what its operator lists): a mount namespace in which an
/// empty, read-only, inaccessible tmpfs lies over each folder and /dev/null over each file, every other mount but the
/// kernel's own file systems is read-only (so a code cannot change the silo's programs, the models, or its user's files:
/// no <c>~/.ssh/authorized_keys</c> to come back by), and the code's working folder (also its <c>TMPDIR</c>) and
/// /dev/shm are tmpfs scratch of its own, gone with it. The mounts are made by the root of an outer user namespace (the
/// silo's user outside), and the code runs in an inner one that maps it back to the silo's user and group, so it sees
/// its usual ids and holds no capability over the outer namespace's mounts: it can neither unmount them nor make them
/// writable again.</item>
/// </list>
/// Where nothing is hidden (<c>dth</c> on a workstation), the mounts are made while a <see cref="ConfineWrites"/>
/// registration lasts (its <c>sim external --try</c> and <c>run verify --external-models</c> take one where this machine
/// can); without, a code with no network gets its network and PID namespaces only, and a host-network code starts
/// without namespaces.
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
        if (!process.StartInfo.ArgumentList.Contains(RunAsChild) && !process.StartInfo.ArgumentList.Contains(ConfineScript)) return;
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

    // The mounts of a code confined as a silo's codes are (what the silo hides, a read-only file system, scratch), made
    // by the root of the outer user namespace: first every mount but the kernel's own file systems (whose files the
    // kernel guards itself; /dev's devices stay writable on a read-only mount anyway) read-only, in one exec; then, in one
    // exec too, the code's mount table: a tmpfs over each hidden folder, /dev/null over each hidden file, and writable
    // tmpfs scratch over the code's working folder and over /dev/shm. The shell then enters the working folder again, now
    // the scratch on it, and runs the inner user namespace's unshare with the rest, as a child. What cannot be mounted
    // stops the start, with mount's reason.
    //
    // But for one kind of mount: one whose path this user cannot reach (another user's FUSE mount without allow_other,
    // as a desktop's gvfs in /run/user/<uid>; a container's root under /var/lib/docker, mode 710). The outer namespace's
    // root has the silo user's rights over such a path, so mount cannot remount it, and every code of a silo on a host
    // with one would be refused. The code, with the same user's rights and no more, cannot reach it either, so it may stay
    // writable. After a refused remount the shell therefore reads the mount table (mountinfo(5): the mount point is the
    // fifth field, the mount's options the sixth, the type the first word after " - "), and starts the code only if each
    // mount left writable is of the kernel's, lies under another mounted on the same point (so no path reaches it: mount
    // remounted the one on top), or has a path it cannot stat; a path with an escaped character (mountinfo writes a blank
    // as \040) is taken as reachable, so the start stops as before.
    private const string KernelFileSystems = "proc,sysfs,devtmpfs,devpts,cgroup,cgroup2,mqueue";

    /// <summary>
    /// A shell function: <c>unreachable FILE</c> succeeds when every mount that mountinfo FILE shows writable is of the
    /// kernel's, lies under another mounted on the same point, or has a path that cannot be stat'ed (see above).
    /// </summary>
    internal const string UnreachableFunction = $$"""
        unreachable() {
          k=$(while read -r _ p _ _ m _; do printf '%s %s\n' "$p" "$m"; done < "$1")
          while read -r i _ _ _ m o rest; do
            case "$o" in rw|rw,*) ;; *) continue ;; esac
            f=" $rest"; f=${f#* - }; f=${f%% *}
            case ",{{KernelFileSystems}}," in *",$f,"*) continue ;; esac
            case "$m" in *\\*) return 1 ;; esac
            case "
        $k
        " in *"
        $i $m
        "*) continue ;; esac
            if [ -e "$m" ]; then return 1; fi
          done < "$1"
        }
        """;

    private const string ConfineScript = $$"""
        t=$1 w=$2 u=$3 uid=$4 gid=$5; shift 5
        {{UnreachableFunction}}
        e=$(mount --all -o remount,bind,ro -t no{{KernelFileSystems}} 2>&1) || unreachable /proc/self/mountinfo || { printf '%s\n' "$e" >&2; exit 125; }
        mount --all --fstab "$t" || exit 125
        cd "$w" || exit 125
        set -- "$u" --user --map-user="$uid" --map-group="$gid" -- "$@"

        """ + RunAsChild;

    // The file in a code's working folder that holds its mount table (the scratch mounted over the folder hides it from the code).
    private const string MountTableFile = ".dth-mounts";

    /// <summary>
    /// The mount table (fstab(5)) of a code working in <paramref name="work"/> that is not to see <paramref name="hidden"/>,
    /// its scratch (working folder and /dev/shm) bounded by <paramref name="scratchMiB"/> each when set: a path inside a
    /// folder hidden before it is left out (it is out of sight already, and could not be mounted on).
    /// </summary>
    internal static string MountTable(string work, IReadOnlyList<string> hidden, int? scratchMiB)
    {
        var table = new System.Text.StringBuilder();
        var folders = new List<string>();
        foreach (var path in hidden)
        {
            if (folders.Any(f => path.StartsWith(f + "/", StringComparison.Ordinal))) continue;
            if (Directory.Exists(path))
            {
                folders.Add(path);
                table.Append("dth-hidden ").Append(Escaped(path)).Append(" tmpfs ro,size=0,mode=000 0 0\n");
            }
            else if (File.Exists(path)) table.Append("/dev/null ").Append(Escaped(path)).Append(" none bind 0 0\n");
        }
        var size = scratchMiB is { } mib ? string.Create(CultureInfo.InvariantCulture, $",size={mib}m") : "";
        table.Append("dth-scratch ").Append(Escaped(work)).Append(" tmpfs mode=700").Append(size).Append(" 0 0\n");
        table.Append("dth-shm /dev/shm tmpfs mode=1777").Append(size).Append(" 0 0\n");
        return table.ToString();
    }

    // fstab's fields are separated by blanks; a path's blanks, line breaks and backslashes are written as octal escapes.
    private static string Escaped(string path) => path.Replace("\\", "\\134").Replace(" ", "\\040").Replace("\t", "\\011").Replace("\n", "\\012");

    // A PID namespace needs a fork (the namespace's first process is unshare's child; unshare waits for it and exits as it
    // did); --kill-child kills that child should unshare alone be killed; --mount-proc gives it a /proc of its own.
    // --ipc: System V shared memory, semaphores and POSIX message queues of its own. Shared with the host, a code without
    // a network could hand a subject's parameters to a code on the host network through a segment, and a segment never
    // removed outlives the code, outside its memory limit; the namespace's objects go with its last process.
    private static readonly string[] PidNamespace = ["--ipc", "--pid", "--fork", "--kill-child", "--mount-proc"];

    private static readonly ConcurrentDictionary<string, int> HiddenFolders = new(StringComparer.Ordinal);

    private static int _writesConfined;

    /// <summary>
    /// Whether the codes this process starts run on a read-only file system with scratch of their own: while something
    /// is hidden (a silo, always) or while a <see cref="ConfineWrites"/> registration lasts (<c>dth</c> on a workstation).
    /// </summary>
    public static bool WritesConfined => Volatile.Read(ref _writesConfined) > 0 || !HiddenFolders.IsEmpty;

    /// <summary>
    /// Makes the codes this process starts run on a read-only file system with scratch of their own, as a silo's do,
    /// also where nothing else is hidden, and hides <paramref name="hidden"/> from them, until the registration is
    /// disposed (the caller checked <see cref="Problem"/> with mounts set).
    /// </summary>
    public static IDisposable ConfineWrites(IEnumerable<string> hidden)
    {
        var hiding = Hide(hidden);
        Interlocked.Increment(ref _writesConfined);
        return new Release(() =>
        {
            Interlocked.Decrement(ref _writesConfined);
            hiding.Dispose();
        });
    }

    /// <summary>A registration: runs its release once, at the first dispose.</summary>
    private sealed class Release(Action release) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) release();
        }
    }

    /// <summary>
    /// Hides <paramref name="folders"/> (folders or files) from every code this process starts, until the registration is
    /// disposed (a silo hides its data folder and key for as long as it runs; several silos in one process hide the union).
    /// </summary>
    public static IDisposable Hide(IEnumerable<string> folders)
    {
        var full = folders.Select(Path.GetFullPath).Select(f => Path.TrimEndingDirectorySeparator(f)).Distinct(StringComparer.Ordinal).ToArray();
        foreach (var f in full) HiddenFolders.AddOrUpdate(f, 1, (_, n) => n + 1);
        return new Release(() =>
        {
            foreach (var f in full)
                if (HiddenFolders.AddOrUpdate(f, 0, (_, n) => n - 1) <= 0) HiddenFolders.TryRemove(new KeyValuePair<string, int>(f, 0));
        });
    }

    /// <summary>What is hidden now, a folder before what lies in it (its mount table leaves out what no longer exists, as a test's silo folder may not).</summary>
    public static IReadOnlyList<string> Hidden => [.. HiddenFolders.Keys.Order(StringComparer.Ordinal)];

    // Each chain is tried as it will run: a machine may refuse network namespaces and allow the rest.
    private static readonly Lazy<string?> NetworkProblem = new(() => Probe(isolateNetwork: true, mounts: false));
    private static readonly Lazy<string?> MountsProblem = new(() => Probe(isolateNetwork: true, mounts: true));
    private static readonly Lazy<string?> MountsOnHostNetworkProblem = new(() => Probe(isolateNetwork: false, mounts: true));

    /// <summary>
    /// Null when this machine can start a code in the namespaces asked for (tried once each: some kernels and container
    /// runtimes refuse user namespaces to unprivileged processes); otherwise what is missing.
    /// </summary>
    public static string? Problem(bool isolateNetwork, bool mounts) =>
        mounts ? (isolateNetwork ? MountsProblem : MountsOnHostNetworkProblem).Value : isolateNetwork ? NetworkProblem.Value : null;

    /// <summary>
    /// Adds to <paramref name="arguments"/> the execs that start the command in the namespaces asked for; with something
    /// <paramref name="hidden"/> or <paramref name="confineWrites"/> (the mounts: the read-only file system and the
    /// scratch), writes the code's mount table into its working folder <paramref name="work"/> (the scratch over the
    /// folder, bounded by <paramref name="scratchMiB"/> when set, hides it from the code).
    /// </summary>
    public static void Add(IList<string> arguments, bool isolateNetwork, IReadOnlyList<string> hidden, bool confineWrites = false, string? work = null, int? scratchMiB = null)
    {
        var mounts = hidden.Count > 0 || confineWrites;
        if (!isolateNetwork && !mounts) return;
        var unshare = Unshare ?? throw new InvalidOperationException("Namespaces for a code need util-linux's unshare on the PATH.");
        arguments.Add(unshare);
        var shell = Shell ?? throw new InvalidOperationException("Namespaces for a code need sh on the PATH.");
        if (!mounts)
        {
            foreach (var a in (string[])["--user", "--map-current-user", "--net", .. PidNamespace, "--", shell, "-c", RunAsChild, "dth-init"]) arguments.Add(a);
            return;
        }
        if (work is null) throw new ArgumentNullException(nameof(work), "A code on a read-only file system needs a working folder for its scratch.");
        work = Path.TrimEndingDirectorySeparator(Path.GetFullPath(work));
        var table = Path.Combine(work, MountTableFile);
        File.WriteAllText(table, MountTable(work, hidden, scratchMiB));
        foreach (var a in (string[])["--user", "--map-root-user", "--mount", .. isolateNetwork ? (string[])["--net"] : [], .. PidNamespace, "--",
                     shell, "-c", ConfineScript, "dth-confine", table, work, unshare,
                     ProcessGroup.geteuid().ToString(CultureInfo.InvariantCulture), ProcessGroup.getegid().ToString(CultureInfo.InvariantCulture)])
            arguments.Add(a);
    }

    private static string? Probe(bool isolateNetwork, bool mounts)
    {
        if (ProcessGroup.Setsid is null) return "it is not Linux with util-linux's setsid";
        if (Unshare is null) return "util-linux's unshare is not on the PATH";
        if (ProcessGroup.FindOnPath("true") is not { } nothing) return "'true' is not on the PATH";
        var folder = mounts ? Directory.CreateTempSubdirectory("dth-probe-").FullName : null;
        try
        {
            var start = new ProcessStartInfo(Unshare) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardInput = true };
            var arguments = new List<string>();
            Add(arguments, isolateNetwork, folder is null ? [] : [Directory.CreateDirectory(Path.Combine(folder, "hidden")).FullName], confineWrites: mounts,
                work: folder is null ? null : Directory.CreateDirectory(Path.Combine(folder, "work")).FullName);
            foreach (var a in arguments.Skip(1)) start.ArgumentList.Add(a);
            start.ArgumentList.Add(nothing);
            using var probe = Process.Start(start)!;
            Open(probe);
            probe.StandardInput.Close();
            var error = probe.StandardError.ReadToEnd().Trim();
            probe.WaitForExit();
            return probe.ExitCode == 0 ? null
                : $"its namespaces ({string.Join(", ", ((string?[])[isolateNetwork ? "no network" : null, mounts ? "the silo's folders hidden and the rest read-only" : null, "PIDs and a /proc of its own"]).OfType<string>())}) " +
                  $"could not be made here ({(error.Length > 0 ? error : $"exit code {probe.ExitCode}")}): user namespaces are off for this user, or /proc is partly masked (as in a container)" +
                  (mounts ? ", or a mount could not be made read-only (mount's message names it)" : "");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return $"unshare did not start: {e.Message}";
        }
        finally
        {
            if (folder is not null) Directory.Delete(folder, recursive: true);
        }
    }
}
