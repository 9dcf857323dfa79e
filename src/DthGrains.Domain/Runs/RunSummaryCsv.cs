using System.Globalization;
using System.Text;

namespace DthGrains.Domain.Runs;

/// <summary>
/// A run's summary as CSV, one row per output and time: mean, standard deviation, the percentiles, and the cell's floor
/// (the magnitude at or below which a band only says "below this"; empty where nothing was folded). The same file in a
/// run's RO-Crate (<c>results/bands.csv</c>) and from <c>dth sim local --cohort</c>.
/// </summary>
public static class RunSummaryCsv
{
    public static string Of(RunSummary s)
    {
        var sb = new StringBuilder("output,time,mean,sd,").AppendJoin(',', s.Percentiles.Select(p => "p" + Num(p))).Append(",floor\n");
        int nt = s.Times.Length, np = s.Percentiles.Length;
        for (int y = 0; y < s.Outputs.Length; y++)
            for (int t = 0; t < nt; t++)
            {
                int k = y * nt + t;
                sb.Append(s.Outputs[y]).Append(',').Append(Num(s.Times[t])).Append(',').Append(Num(s.Mean[k])).Append(',').Append(Num(s.StandardDeviation[k]));
                for (int q = 0; q < np; q++) sb.Append(',').Append(Num(s.Bands[k * np + q]));
                sb.Append(',').Append(Num(s.BandFloors?[k])).Append('\n');
            }
        return sb.ToString();
    }

    private static string Num(double? v) => v is { } x ? x.ToString("R", CultureInfo.InvariantCulture) : "";
}
