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
    /// Model <paramref name="id"/> in <paramref name="folder"/> whose code never answers: each start appends a marker of its
    /// own to <c>started</c> beside it (<see cref="Started"/>) from a shell that carries the marker in its command line,
    /// then sleeps ten minutes. A marker, not a process id: a code runs in a PID namespace of its own, where its $$ means
    /// nothing outside.
    /// </summary>
    public static void Hanging(string folder, string id)
    {
        // The shell that carries the marker writes it: once it is in the file, that process runs.
        Script(Path.Combine(folder, "hang.sh"), "#!/bin/sh\ncat > /dev/null\n" +
            "exec sh -c 'echo \"$0\" >> \"$DTH_MODEL_DIR/started\"; sleep 600; :' dth-hang-$(cat /proc/sys/kernel/random/uuid)\n");
        File.WriteAllText(Path.Combine(folder, "hang.model.json"), $$"""
            { "id": "{{id}}", "version": "1.0.0", "title": "a code that takes ten minutes", "timeUnit": "h",
              "parameters": [ { "name": "a", "value": 1, "lower": 0, "upper": 2 } ], "outputs": [ { "name": "b" } ],
              "scenarios": [ { "name": "reference", "duration": 1 } ], "executor": { "command": "hang.sh", "timeoutSeconds": 600 } }
            """);
    }

    /// <summary>The markers of the starts of a <see cref="Hanging"/> code in <paramref name="folder"/>, in order.</summary>
    public static string[] Started(string folder)
    {
        var started = Path.Combine(folder, "started");
        return File.Exists(started) ? [.. File.ReadAllLines(started).Where(l => l.Length > 0)] : [];
    }

    /// <summary>
    /// Whether a process whose command line holds <paramref name="marker"/> runs on this machine (a zombie, killed and not
    /// yet reaped, does not). Linux.
    /// </summary>
    public static bool IsRunning(string marker) => Directory.EnumerateDirectories("/proc").Any(d =>
    {
        if (!int.TryParse(Path.GetFileName(d), out _)) return false;
        try
        {
            var stat = File.ReadAllText(Path.Combine(d, "stat"));
            return stat[stat.LastIndexOf(')') + 2] != 'Z' && File.ReadAllText(Path.Combine(d, "cmdline")).Contains(marker, StringComparison.Ordinal);
        }
        catch (IOException) { return false; } // gone meanwhile (FileNotFound and DirectoryNotFound are IOExceptions)
        catch (UnauthorizedAccessException) { return false; }
    });
}
