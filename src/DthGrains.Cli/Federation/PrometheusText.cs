using System.Globalization;
using System.Text;

namespace DthGrains.Cli.Federation;

/// <summary>One sample of the Prometheus text format: a series name, its labels and its value.</summary>
public sealed record MetricSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value)
{
    public string Label(string name) => Labels.TryGetValue(name, out var value) ? value : "";
}

/// <summary>
/// Reads the Prometheus text exposition format (what a silo's <c>/metrics</c> answers) into samples, and estimates
/// quantiles from a histogram's cumulative buckets the way Prometheus' <c>histogram_quantile</c> does (linear within
/// the bucket the rank falls in).
/// </summary>
public static class PrometheusText
{
    public static IReadOnlyList<MetricSample> Parse(string exposition)
    {
        ArgumentNullException.ThrowIfNull(exposition);
        var samples = new List<MetricSample>();
        foreach (var raw in exposition.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Length == 0 || line[0] == '#') continue;
            var i = 0;
            while (i < line.Length && line[i] is not ('{' or ' ')) i++;
            var name = line[..i];
            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            if (i < line.Length && line[i] == '{') i = ReadLabels(line, i + 1, labels);
            var rest = line[i..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (name.Length == 0 || rest.Length == 0 || !TryValue(rest[0], out var value)) continue;
            samples.Add(new MetricSample(name, labels, value));
        }
        return samples;
    }

    /// <summary>Reads <c>name="value",...}</c> (values may hold escaped quotes, backslashes and newlines); returns the index after the brace.</summary>
    private static int ReadLabels(string line, int i, Dictionary<string, string> labels)
    {
        while (i < line.Length && line[i] != '}')
        {
            var eq = line.IndexOf('=', i);
            if (eq < 0 || eq + 1 >= line.Length || line[eq + 1] != '"') return line.Length;
            var key = line[i..eq].Trim().TrimStart(',').Trim();
            var value = new StringBuilder();
            var j = eq + 2;
            for (; j < line.Length && line[j] != '"'; j++)
            {
                if (line[j] == '\\' && j + 1 < line.Length)
                {
                    j++;
                    value.Append(line[j] == 'n' ? '\n' : line[j]);
                }
                else value.Append(line[j]);
            }
            labels[key] = value.ToString();
            i = j + 1;
            if (i < line.Length && line[i] == ',') i++;
        }
        return Math.Min(line.Length, i + 1);
    }

    private static bool TryValue(string text, out double value)
    {
        switch (text)
        {
            case "+Inf": value = double.PositiveInfinity; return true;
            case "-Inf": value = double.NegativeInfinity; return true;
            case "NaN": value = double.NaN; return true;
            default: return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
        }
    }

    /// <summary>The sum of a series' samples whose labels include every given pair (0 when there are none).</summary>
    public static double Sum(IEnumerable<MetricSample> samples, string name, params (string Label, string Value)[] where) =>
        samples.Where(s => s.Name == name && where.All(w => s.Label(w.Label) == w.Value)).Sum(s => s.Value);

    /// <summary>
    /// The <paramref name="q"/>-quantile of a histogram family (<c>name_bucket</c> series, summed over the samples that
    /// match <paramref name="where"/>): null when it counted nothing; the largest finite bound when the rank falls in the
    /// +Inf bucket.
    /// </summary>
    public static double? Quantile(IEnumerable<MetricSample> samples, string family, double q, params (string Label, string Value)[] where)
    {
        var buckets = samples.Where(s => s.Name == family + "_bucket" && where.All(w => s.Label(w.Label) == w.Value))
            .GroupBy(s => TryValue(s.Label("le"), out var le) ? le : double.NaN)
            .Where(g => !double.IsNaN(g.Key))
            .Select(g => (Bound: g.Key, Count: g.Sum(s => s.Value)))
            .OrderBy(b => b.Bound)
            .ToList();
        if (buckets.Count == 0 || buckets[^1].Count <= 0) return null;
        var rank = q * buckets[^1].Count;
        var (lower, below) = (0.0, 0.0);
        foreach (var (bound, count) in buckets)
        {
            if (count >= rank && count > below)
            {
                if (double.IsPositiveInfinity(bound)) return lower;
                return lower + ((bound - lower) * (rank - below) / (count - below));
            }
            (lower, below) = (bound, count);
        }
        return lower;
    }
}
