using System.Diagnostics;
using System.Text.Json;

namespace DthGrains.Benchmarks.Simulation;

/// <summary>Runs the SciPy baseline script and parses its one-line JSON answer.</summary>
internal static class BaselineRunner
{
    /// <summary>Debian's interpreter: the python3 first on PATH here may not see Debian's scipy.</summary>
    public static string Python => Environment.GetEnvironmentVariable("DTH_PYTHON") ?? "/usr/bin/python3";

    public static JsonElement? Run(params string[] args)
    {
        var script = Path.Combine(AppContext.BaseDirectory, "Simulation", "scipy_baseline.py");
        var psi = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(script);
        // One BLAS/OpenMP thread: the baseline is a per-core figure (the script sets these too when run by hand).
        foreach (var v in new[] { "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS" }) psi.Environment[v] = "1";
        foreach (var a in args) psi.ArgumentList.Add(a);
        try
        {
            using var p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEnd();
            var stderr = p.StandardError.ReadToEnd();
            p.WaitForExit();
            if (p.ExitCode != 0)
            {
                Console.Error.WriteLine($"baseline {string.Join(' ', args)} failed: {stderr.Trim()}");
                return null;
            }
            return JsonDocument.Parse(stdout).RootElement.Clone();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            Console.Error.WriteLine($"cannot start {Python}: {e.Message}");
            return null;
        }
    }
}
