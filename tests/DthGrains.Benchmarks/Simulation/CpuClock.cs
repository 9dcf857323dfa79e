using System.Runtime.InteropServices;

namespace DthGrains.Benchmarks.Simulation;

/// <summary>
/// CPU time of the calling thread, from clock_gettime(CLOCK_THREAD_CPUTIME_ID): nanosecond resolution, and it does not
/// advance while the thread waits for a core, so a measurement taken on a loaded machine is still the cost per core.
/// (Process.TotalProcessorTime ticks in ~10 ms steps and counts every thread of the process, GC and JIT included.)
/// Linux only, like the rest of the benchmark's baseline setup.
/// </summary>
internal static partial class CpuClock
{
    private const int ClockThreadCpuTimeId = 3; // CLOCK_THREAD_CPUTIME_ID in <time.h> (Linux)

    private const int ClockProcessCpuTimeId = 2; // CLOCK_PROCESS_CPUTIME_ID

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime", SetLastError = true)]
    private static partial int ClockGetTime(int clockId, out Timespec time);

    /// <summary>CPU seconds consumed by the calling thread so far.</summary>
    public static double ThreadSeconds() => Seconds(ClockThreadCpuTimeId);

    /// <summary>CPU seconds consumed by every thread of this process so far (nanosecond resolution).</summary>
    public static double ProcessSeconds() => Seconds(ClockProcessCpuTimeId);

    private static double Seconds(int clock)
    {
        if (ClockGetTime(clock, out var ts) != 0)
            throw new InvalidOperationException($"clock_gettime({clock}) failed (errno {Marshal.GetLastSystemError()}).");
        return ts.Seconds + ts.Nanoseconds * 1e-9;
    }
}
