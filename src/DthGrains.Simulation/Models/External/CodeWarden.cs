using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace DthGrains.Simulation.Models.External;

/// <summary>
/// A small watchdog process (a bash loop in a session of its own) that kills the process groups of this process's
/// codes when this process ends, however it ends. This process tells it, through a pipe only this process holds, each
/// group it starts (<c>+ id</c>) and each that has ended (<c>- id</c>); when the pipe closes, which the kernel does for
/// a process that SIGKILL or a crash ends as much as for one that exits, the warden kills the groups it still holds and
/// exits. Nothing inside a process can do that for itself: no handler runs at SIGKILL, and a code in a session of its
/// own gets neither the terminal's Ctrl-C nor its hang-up.
/// </summary>
/// <remarks>
/// The warden ignores SIGTERM, SIGINT, SIGHUP and SIGQUIT, so the signal that stops this process does not stop it
/// first. One that dies anyway (a SIGKILL of its own) is replaced at the next message, and the groups still running are
/// handed to the new one. A code started in namespaces does not run before its group's message (the namespace's first
/// process waits for <see cref="CodeNamespaces.Open"/>); left uncovered: an unconfined code started in the instant
/// between its fork and its message, and a group whose id is reused in the instant between its end and its message
/// (group ids are not reused while a member lives).
/// Where there is no bash (or no setsid, so no groups), there is no warden.
/// </remarks>
internal sealed class CodeWarden : IDisposable
{
    /// <summary>The warden of this process's codes, started at the first code's start.</summary>
    public static CodeWarden Shared { get; } = new();

    private static readonly string? Bash = ProcessGroup.Setsid is null ? null : ProcessGroup.FindOnPath("bash");

    // Reads "+ id" and "- id" lines to the pipe's end, then kills what is left. It writes nothing: its standard
    // output and error go to /dev/null at once, so it never holds a pipe its starter's reader waits on.
    private const string Script = """
        exec >/dev/null 2>&1
        trap '' TERM INT HUP QUIT PIPE
        declare -A groups
        while read -r op id; do
          [[ $id =~ ^[0-9]+$ ]] || continue
          if [[ $op == + ]]; then groups[$id]=1; else unset "groups[$id]"; fi
        done
        for id in "${!groups[@]}"; do kill -KILL -- "-$id"; done
        """;

    private readonly Lock _gate = new();
    private readonly HashSet<int> _watched = [];
    private Process? _process;
    private bool _disposed;

    /// <summary>The warden's process id (0 while none runs), for tests.</summary>
    public int ProcessId
    {
        get { lock (_gate) return _process?.Id ?? 0; }
    }

    /// <summary>Whether codes are watched here at all (Linux with setsid and bash).</summary>
    public static bool IsAvailable => Bash is not null;

    /// <summary>Hands group <paramref name="group"/> (a code just started, its leader's id) to the warden.</summary>
    public void Watch(int group)
    {
        if (!IsAvailable) return; // no groups to watch (not Linux, no setsid) or nothing to watch them with
        lock (_gate)
            if (_watched.Add(group)) Send('+', group);
    }

    /// <summary>Takes group <paramref name="group"/> back: it has ended (or was killed).</summary>
    public void Release(int group)
    {
        if (!IsAvailable) return;
        lock (_gate)
            if (_watched.Remove(group)) Send('-', group);
    }

    /// <summary>
    /// Closes the pipe, as this process's end would: the warden kills the groups still watched. Returns when it has
    /// (waiting at most a few seconds).
    /// </summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            Close(waitForExit: true);
        }
    }

    private void Send(char op, int group)
    {
        if (_disposed) return;
        if (_process is not null && Write($"{op} {group.ToString(CultureInfo.InvariantCulture)}\n")) return;
        // None yet, or it died (a write to a pipe nobody reads fails): a new one gets every group still running.
        Close();
        if (!Start()) return;
        var all = new StringBuilder();
        foreach (var id in _watched) all.Append("+ ").Append(id.ToString(CultureInfo.InvariantCulture)).Append('\n');
        if (all.Length > 0) Write(all.ToString());
    }

    private bool Start()
    {
        // The script comes through the environment, so that ps shows a short line: bash -c eval... dth-code-warden.
        var start = ProcessGroup.StartInfo(Bash!, ["-c", "eval \"$DTH_CODE_WARDEN\"", "dth-code-warden"]);
        start.UseShellExecute = false;
        start.Environment["DTH_CODE_WARDEN"] = Script;
        start.RedirectStandardInput = true; // .NET opens its end close-on-exec: no code inherits it and holds it open
        try
        {
            _process = Process.Start(start);
            return _process is not null;
        }
        catch (System.ComponentModel.Win32Exception) { return false; }
        catch (IOException) { return false; }
    }

    private bool Write(string text)
    {
        try
        {
            var pipe = _process!.StandardInput.BaseStream;
            pipe.Write(Encoding.ASCII.GetBytes(text));
            pipe.Flush();
            return true;
        }
        catch (IOException) { return false; }
        catch (ObjectDisposedException) { return false; }
    }

    private void Close(bool waitForExit = false)
    {
        if (_process is null) return;
        try { _process.StandardInput.Close(); } catch (IOException) { } // gone already
        if (waitForExit) _process.WaitForExit(TimeSpan.FromSeconds(10));
        _process.Dispose();
        _process = null;
    }
}
