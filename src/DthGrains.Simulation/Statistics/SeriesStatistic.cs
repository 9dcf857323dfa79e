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
        // The output's column is every outputs-th value from output (a solve writes a row per time point): read in
        // place, since this runs once per evaluation of a study (a copy was an array per evaluation on long grids).
        for (int t = 0; t < n; t++)
            if (!double.IsFinite(values[t * outputs + output])) return double.NaN;
        switch (statistic)
        {
            case "mean":
            {
                double sum = 0;
                for (int t = 0; t < n; t++) sum += values[t * outputs + output];
                return sum / n;
            }
            case "final":
                return values[(n - 1) * outputs + output];
            case "min":
            {
                double min = double.PositiveInfinity;
                for (int t = 0; t < n; t++) min = Math.Min(min, values[t * outputs + output]);
                return min;
            }
            case "max":
            {
                double max = double.NegativeInfinity;
                for (int t = 0; t < n; t++) max = Math.Max(max, values[t * outputs + output]);
                return max;
            }
            case "auc":
            {
                double area = 0;
                for (int t = 1; t < n; t++) area += 0.5 * (values[t * outputs + output] + values[(t - 1) * outputs + output]) * (times[t] - times[t - 1]);
                return area;
            }
            default:
                throw new ArgumentException($"Unknown statistic '{statistic}'; known: {string.Join(", ", Names)}.", nameof(statistic));
        }
    }
}
