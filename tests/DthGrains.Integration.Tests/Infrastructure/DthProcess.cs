using System.Diagnostics;

namespace DthGrains.Integration.Tests.Infrastructure;

/// <summary>
/// A real <c>dth</c> process, for what an in-process run (<see cref="CliRunner"/>) cannot show: signals, and what holds
/// process-wide (the confinement of the codes it starts, which in this test process other tests' silos share).
/// </summary>
public static class DthProcess
{
    /// <summary>Starts <c>dth</c> with <paramref name="args"/>, its standard output and error redirected.</summary>
    public static Process Start(params string[] args) => Start(new Dictionary<string, string>(), args);

    /// <summary>Starts <c>dth</c> with <paramref name="args"/> and these variables set in its environment (a HOME of the test's).</summary>
    public static Process Start(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var dotnet = Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";
        var start = new ProcessStartInfo(dotnet) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in (string[])[Path.Combine(AppContext.BaseDirectory, "dth.dll"), .. args]) start.ArgumentList.Add(a);
        foreach (var (name, value) in environment) start.Environment[name] = value;
        return Process.Start(start)!;
    }

    /// <summary>Runs <c>dth</c> with <paramref name="args"/> to its end (a bound on a hang of two minutes, not a timing).</summary>
    public static Task<(int Code, string Output, string Errors)> RunAsync(params string[] args) => RunAsync(new Dictionary<string, string>(), args);

    /// <summary>Runs <c>dth</c> with <paramref name="args"/> and these variables set in its environment, to its end.</summary>
    public static async Task<(int Code, string Output, string Errors)> RunAsync(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        using var dth = Start(environment, args);
        try
        {
            var output = dth.StandardOutput.ReadToEndAsync();
            var errors = dth.StandardError.ReadToEndAsync();
            await dth.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
            return (dth.ExitCode, await output, await errors);
        }
        finally
        {
            if (!dth.HasExited) dth.Kill(entireProcessTree: true);
        }
    }
}
