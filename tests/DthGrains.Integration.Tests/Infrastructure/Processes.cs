namespace DthGrains.Integration.Tests.Infrastructure;

/// <summary>Processes the platform starts (external codes), seen from outside.</summary>
public static class Processes
{
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
