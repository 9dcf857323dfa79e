using System.Globalization;

namespace DthGrains.Benchmarks.Runs;

/// <summary>
/// CPU seconds used so far by a PostgreSQL server: its postmaster and every live child (backends, WAL writer,
/// checkpointer), from /proc/[pid]/stat (utime + stime, in clock ticks of 1/100 s: USER_HZ on Linux). A backend that
/// exits between two readings takes its time with it; the platform's pooled connections stay open, so over a block
/// of runs the difference of two readings is what the server spent on them, to about 10 ms per process.
/// </summary>
internal static class PostgresCpu
{
    private const double TicksPerSecond = 100;

    public static double Seconds(int postmaster)
    {
        double ticks = 0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) continue;
            string stat;
            try { stat = File.ReadAllText(Path.Combine(dir, "stat")); }
            catch (IOException) { continue; } // the process ended meanwhile
            catch (UnauthorizedAccessException) { continue; }
            // Fields after the command name (which may hold spaces, in parentheses): state ppid ... utime(14) stime(15).
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var ppid = int.Parse(fields[1], CultureInfo.InvariantCulture);
            if (pid != postmaster && ppid != postmaster) continue;
            ticks += double.Parse(fields[11], CultureInfo.InvariantCulture) + double.Parse(fields[12], CultureInfo.InvariantCulture);
        }
        return ticks / TicksPerSecond;
    }
}
