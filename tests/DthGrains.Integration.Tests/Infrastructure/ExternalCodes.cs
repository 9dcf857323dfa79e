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
    /// Model <paramref name="id"/> in <paramref name="folder"/> whose code never answers: each start appends its process
    /// id (its group's) to <c>pids</c> beside it, then sleeps ten minutes (<see cref="Started"/>).
    /// </summary>
    public static void Hanging(string folder, string id)
    {
        Script(Path.Combine(folder, "hang.sh"), "#!/bin/sh\ncat > /dev/null\necho $$ >> \"$DTH_MODEL_DIR/pids\"\nexec sleep 600\n");
        File.WriteAllText(Path.Combine(folder, "hang.model.json"), $$"""
            { "id": "{{id}}", "version": "1.0.0", "title": "a code that takes ten minutes", "timeUnit": "h",
              "parameters": [ { "name": "a", "value": 1, "lower": 0, "upper": 2 } ], "outputs": [ { "name": "b" } ],
              "scenarios": [ { "name": "reference", "duration": 1 } ], "executor": { "command": "hang.sh", "timeoutSeconds": 600 } }
            """);
    }

    /// <summary>The process ids a <see cref="Hanging"/> code in <paramref name="folder"/> was started with, in order.</summary>
    public static int[] Started(string folder)
    {
        var pids = Path.Combine(folder, "pids");
        return File.Exists(pids) ? [.. File.ReadAllLines(pids).Where(l => l.Length > 0).Select(int.Parse)] : [];
    }

    /// <summary>Whether process <paramref name="pid"/> still runs (a zombie, killed and not yet reaped, does not). Linux.</summary>
    public static bool IsRunning(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid}/stat");
            return text[text.LastIndexOf(')') + 2] != 'Z';
        }
        catch (IOException) { return false; } // no such process (FileNotFound and DirectoryNotFound are IOExceptions)
    }
}
