namespace DthGrains.Simulation.Statistics;

/// <summary>
/// One number from an output's series over the time grid: what a sensitivity study analyses. Any non-finite value in
/// the series gives NaN (a failed solve), which drops its base sample.
/// </summary>
public static class SeriesStatistic
{
    /// <summary>The statistics a request may name; the first is the default.</summary>
    public static readonly string[] Names = ["mean", "final", "min", "max", "auc"];

    public static bool IsKnown(string name) => Array.IndexOf(Names, name) >= 0;

    /// <summary>
    /// The statistic of output <paramref name="output"/> in <paramref name="values"/> (row-major [time, output], as a
    /// solve writes them) over <paramref name="times"/>; auc is the trapezoidal rule.
    /// </summary>
    public static double Of(string statistic, ReadOnlySpan<double> values, int outputs, int output, ReadOnlySpan<double> times)
    {
        int n = times.Length;
        // The output's column, one value a time point (a solve writes a row per time point).
        Span<double> series = n <= 512 ? stackalloc double[n] : new double[n];
        for (int t = 0; t < n; t++)
        {
            series[t] = values[t * outputs + output];
            if (!double.IsFinite(series[t])) return double.NaN;
        }
        switch (statistic)
        {
            case "mean":
            {
                double sum = 0;
                for (int t = 0; t < n; t++) sum += series[t];
                return sum / n;
            }
            case "final":
                return series[n - 1];
            case "min":
            {
                double min = double.PositiveInfinity;
                for (int t = 0; t < n; t++) min = Math.Min(min, series[t]);
                return min;
            }
            case "max":
            {
                double max = double.NegativeInfinity;
                for (int t = 0; t < n; t++) max = Math.Max(max, series[t]);
                return max;
            }
            case "auc":
            {
                double area = 0;
                for (int t = 1; t < n; t++) area += 0.5 * (series[t] + series[t - 1]) * (times[t] - times[t - 1]);
                return area;
            }
            default:
                throw new ArgumentException($"Unknown statistic '{statistic}'; known: {string.Join(", ", Names)}.", nameof(statistic));
        }
    }
}
