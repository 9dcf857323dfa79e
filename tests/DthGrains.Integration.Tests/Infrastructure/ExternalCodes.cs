namespace DthGrains.Integration.Tests.Infrastructure;

/// <summary>External models' codes for tests: scripts written as a silo would find them, and their processes seen from outside.</summary>
public static class ExternalCodes
{
    /// <summary>Writes <paramref name="text"/> to <paramref name="path"/> as an executable file; returns the path.</summary>
    public static string Script(string path, string text)
    {
        File.WriteAllText(path, text);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    /// <summary>
    /// Model <paramref name="id"/> in <paramref name="folder"/> whose code never answers: each start sleeps ten minutes in
    /// a shell that carries a marker of its own in its command line, which names the folder (<see cref="Started"/> finds
    /// them). A marker, not a process id: a code runs in a PID namespace of its own, where its $$ means nothing outside;
    /// and found in /proc, not written down by the code: a silo's code can write nowhere but its scratch.
    /// </summary>
    public static void Hanging(string folder, string id)
    {
        Script(Path.Combine(folder, "hang.sh"), "#!/bin/sh\ncat > /dev/null\n" +
            $"exec sh -c 'sleep 600; :' {HangingPrefix(folder)}$(cat /proc/sys/kernel/random/uuid)\n");
        File.WriteAllText(Path.Combine(folder, "hang.model.json"), $$"""
            { "id": "{{id}}", "version": "1.0.0", "title": "a code that takes ten minutes", "timeUnit": "h",
              "parameters": [ { "name": "a", "value": 1, "lower": 0, "upper": 2 } ], "outputs": [ { "name": "b" } ],
              "scenarios": [ { "name": "reference", "duration": 1 } ], "executor": { "command": "hang.sh", "timeoutSeconds": 600 } }
            """);
    }

    // The start of the markers of the Hanging code in a folder: a digest of the folder's path.
    private static string HangingPrefix(string folder) =>
        "dth-hang-" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Path.GetFullPath(folder))))[..16] + "-";

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, List<string>> SeenStarts = new(StringComparer.Ordinal);

    /// <summary>
    /// Model <paramref name="id"/> in <paramref name="folder"/> whose code (<c>probe.sh</c>) reports what it finds: one
    /// output per probe, whose value, the same at every time, is what its shell snippet leaves in <c>$v</c> (run in the
    /// code's own shell, not a subshell, so a count of processes sees the code alone).
    /// </summary>
    public static void Probing(string folder, string id, IReadOnlyList<(string Output, string Snippet)> probes, string? network = null)
    {
        var script = new System.Text.StringBuilder("#!/bin/sh\ncat > /dev/null\n");
        for (var i = 0; i < probes.Count; i++) script.Append(probes[i].Snippet).Append($"\nv{i}=$v\n");
        var outputs = string.Join(", ", probes.Select((p, i) => $"\\\"{p.Output}\\\": [$v{i}, $v{i}]"));
        script.Append($"echo \"{{\\\"outputs\\\": {{{outputs}}}}}\"\n");
        Script(Path.Combine(folder, "probe.sh"), script.ToString());
        File.WriteAllText(Path.Combine(folder, "probe.model.json"), $$"""
            { "id": "{{id}}", "version": "1.0.0", "title": "a code that reports what it finds", "timeUnit": "h",
              "parameters": [ { "name": "a", "value": 1, "lower": 0, "upper": 2 } ],
              "outputs": [ {{string.Join(", ", probes.Select(p => $"{{ \"name\": \"{p.Output}\" }}"))}} ],
              "scenarios": [ { "name": "reference", "duration": 1 } ], "executor": { "command": "probe.sh"{{(network is null ? "" : $", \"network\": \"{network}\"")}} } }
            """);
    }

    /// <summary>A probe: <c>v</c> is 1 when <paramref name="path"/> reads with content (a hidden file reads as empty, /dev/null lying over it; a hidden folder not at all), else 0.</summary>
    public static string Readable(string path) => $"if [ -s '{path}' ] && cat '{path}' > /dev/null 2>&1; then v=1; else v=0; fi";

    /// <summary>
    /// What a code writes into <paramref name="path"/>, a named pipe made there: a silo's code writes nowhere but its
    /// scratch, yet can still write into a pipe that exists (a read-only mount refuses changes to files, not the use of
    /// pipes). The task ends when the code closes it, and never when no code opens it: wait for it with a timeout.
    /// </summary>
    public static Task<string> Capture(string path)
    {
        using (var mkfifo = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("mkfifo", ["-m", "600", path]) { UseShellExecute = false })!)
        {
            mkfifo.WaitForExit();
            if (mkfifo.ExitCode != 0) throw new InvalidOperationException($"mkfifo {path} failed with exit code {mkfifo.ExitCode}");
        }
        // Opening a pipe for reading waits for its writer: on a thread of its own, not the test's.
        return Task.Factory.StartNew(() => File.ReadAllText(path), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>A probe: <c>v</c> is 1 when the code can write a file at <paramref name="path"/>, else 0.</summary>
    public static string Writable(string path) => $"if echo written > '{path}' 2> /dev/null; then v=1; else v=0; fi";

    /// <summary>A probe: <c>v</c> is how many processes the code sees in /proc.</summary>
    public const string ProcessesSeen = "v=0; for p in /proc/[0-9]*; do v=$((v+1)); done";

    /// <summary>How many System V shared memory segments the code sees (ipcs lists each under a 0x key).</summary>
    public const string SharedMemorySeen = "v=$(ipcs -m 2>/dev/null | grep -c '^0x')";

    /// <summary>
    /// The markers of the starts of a <see cref="Hanging"/> code in <paramref name="folder"/> that this process has seen
    /// running (in this call or an earlier one), in the order first seen.
    /// </summary>
    public static string[] Started(string folder)
    {
        var prefix = HangingPrefix(folder);
        var seen = SeenStarts.GetOrAdd(prefix, _ => []);
        lock (seen)
        {
            foreach (var marker in Running(prefix)) if (!seen.Contains(marker)) seen.Add(marker);
            return [.. seen];
        }
    }

    /// <summary>The words starting with <paramref name="prefix"/> in the command lines of this machine's processes (not zombies).</summary>
    private static IEnumerable<string> Running(string prefix) => Directory.EnumerateDirectories("/proc").SelectMany(d =>
    {
        if (!int.TryParse(Path.GetFileName(d), out _)) return [];
        try
        {
            var stat = File.ReadAllText(Path.Combine(d, "stat"));
            if (stat[stat.LastIndexOf(')') + 2] == 'Z') return [];
            return File.ReadAllText(Path.Combine(d, "cmdline")).Split('\0').Where(word => word.StartsWith(prefix, StringComparison.Ordinal));
        }
        catch (IOException) { return []; } // gone meanwhile (FileNotFound and DirectoryNotFound are IOExceptions)
        catch (UnauthorizedAccessException) { return []; }
    }).Distinct(StringComparer.Ordinal);

    /// <summary>
    /// Whether a process whose command line holds <paramref name="marker"/> runs on this machine (a zombie, killed and not
    /// yet reaped, does not). Linux.
    /// </summary>
    public static bool IsRunning(string marker) => Running(marker).Any();
}
