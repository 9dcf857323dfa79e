namespace DthGrains.Simulation.Calibration;

/// <summary>Agreement between predictions and held-out observations.</summary>
/// <param name="Rmse">Root mean squared error.</param>
/// <param name="Mae">Mean absolute error.</param>
/// <param name="Mard">Mean absolute relative difference, % of the observation (the CGM accuracy metric).</param>
/// <param name="Bias">Mean of prediction − observation.</param>
/// <param name="Coverage">Fraction of observations inside the prediction band (NaN without a band).</param>
/// <param name="Count">Number of pairs used.</param>
public sealed record ValidationReport(double Rmse, double Mae, double Mard, double Bias, double Coverage, int Count)
{
    /// <summary>Computes the metrics; <paramref name="lower"/>/<paramref name="upper"/> give an optional prediction band.</summary>
    public static ValidationReport Compute(ReadOnlySpan<double> predicted, ReadOnlySpan<double> observed, ReadOnlySpan<double> lower = default, ReadOnlySpan<double> upper = default)
    {
        if (predicted.Length != observed.Length) throw new ArgumentException("Predictions and observations must pair up.");
        bool band = !lower.IsEmpty;
        if (band && (lower.Length != observed.Length || upper.Length != observed.Length)) throw new ArgumentException("Band must match the observations.");
        double se = 0, ae = 0, ard = 0, bias = 0;
        int n = 0, inside = 0, relCount = 0;
        for (int i = 0; i < observed.Length; i++)
        {
            double p = predicted[i], o = observed[i];
            if (double.IsNaN(p) || double.IsNaN(o)) continue;
            double e = p - o;
            se += e * e; ae += Math.Abs(e); bias += e; n++;
            if (o != 0) { ard += Math.Abs(e / o); relCount++; }
            if (band && o >= lower[i] && o <= upper[i]) inside++;
        }
        if (n == 0) throw new ArgumentException("No valid pairs.");
        return new ValidationReport(Math.Sqrt(se / n), ae / n, relCount > 0 ? 100 * ard / relCount : double.NaN, bias / n, band ? (double)inside / n : double.NaN, n);
    }
}
