using DthGrains.Simulation.Numerics;

namespace DthGrains.Simulation.Calibration;

/// <summary>A parameter to fit: name, start value and bounds.</summary>
public sealed record FitParameter(string Name, double Initial, double Lower, double Upper);

/// <summary>Fitted values with standard errors and the correlation matrix (row-major) from the Jacobian at the optimum.</summary>
public sealed record FitResult(
    string[] Names,
    double[] Estimates,
    double[] StandardErrors,
    double[] Correlation,
    double WeightedSumOfSquares,
    double ResidualVariance,
    int Iterations,
    bool Converged,
    string Message);

/// <summary>
/// Bounded weighted least squares by Levenberg–Marquardt (Marquardt's scaling of the damping by diag(JᵀWJ)); bounds
/// are enforced by projecting each trial step onto the box. Covariance = s²·(JᵀWJ)⁻¹ with s² = WSS/(m − p), i.e.
/// weights are treated as relative (1/σ² up to a common factor); when the weights are exact 1/σ², s² ≈ 1.
/// The Jacobian is by forward differences, since the residuals come from ODE solves.
/// </summary>
public static class LevenbergMarquardt
{
    /// <summary>Minimises Σ w_i·r_i(θ)² where <paramref name="residuals"/> writes r(θ) (length m) for θ in the order of <paramref name="parameters"/>.</summary>
    public static FitResult Fit(IReadOnlyList<FitParameter> parameters, int residualCount, Action<double[], double[]> residuals, double[]? weights = null,
        int maxIterations = 200, double tolerance = 1e-10)
    {
        int p = parameters.Count, m = residualCount;
        if (m <= p) throw new ArgumentException($"Need more observations ({m}) than parameters ({p}).");
        var w = weights ?? Enumerable.Repeat(1.0, m).ToArray();
        var theta = parameters.Select(x => Math.Clamp(x.Initial, x.Lower, x.Upper)).ToArray();
        var r = new double[m];
        var rTrial = new double[m];
        var j = new double[m * p];
        var jtj = new double[p * p];
        var jtr = new double[p];
        var a = new double[p * p];
        var step = new double[p];
        var piv = new int[p];
        var trial = new double[p];

        residuals(theta, r);
        double cost = Wss(r, w);
        double lambda = 1e-3;
        int iter = 0;
        bool converged = false;
        string message = "maximum iterations reached";
        for (; iter < maxIterations; iter++)
        {
            Jacobian(theta, parameters, r, residuals, j, m, p);
            Normal(j, r, w, m, p, jtj, jtr);
            bool improved = false;
            for (int tries = 0; tries < 30; tries++)
            {
                for (int k = 0; k < p * p; k++) a[k] = jtj[k];
                for (int k = 0; k < p; k++) { a[k * p + k] += lambda * Math.Max(jtj[k * p + k], 1e-300); step[k] = -jtr[k]; }
                if (!DenseLu.Factor(a, p, piv)) { lambda *= 10; continue; }
                DenseLu.Solve(a, p, piv, step);
                for (int k = 0; k < p; k++) trial[k] = Math.Clamp(theta[k] + step[k], parameters[k].Lower, parameters[k].Upper);
                residuals(trial, rTrial);
                double trialCost = Wss(rTrial, w);
                if (double.IsFinite(trialCost) && trialCost < cost)
                {
                    double relChange = 0;
                    for (int k = 0; k < p; k++) relChange = Math.Max(relChange, Math.Abs(trial[k] - theta[k]) / Math.Max(Math.Abs(theta[k]), 1e-12));
                    double costDrop = (cost - trialCost) / Math.Max(cost, 1e-300);
                    Array.Copy(trial, theta, p);
                    Array.Copy(rTrial, r, m);
                    cost = trialCost;
                    lambda = Math.Max(lambda / 10, 1e-12);
                    improved = true;
                    if (relChange < tolerance || costDrop < tolerance * 1e-2) { converged = true; message = "converged"; }
                    break;
                }
                lambda *= 10;
            }
            if (!improved) { converged = true; message = "no further decrease (at a minimum or a bound)"; break; }
            if (converged) { iter++; break; }
        }

        // Uncertainty at the optimum.
        Jacobian(theta, parameters, r, residuals, j, m, p);
        Normal(j, r, w, m, p, jtj, jtr);
        double s2 = cost / (m - p);
        double[] cov;
        try { cov = DenseLu.Inverse(jtj, p); }
        catch (InvalidOperationException) { cov = Enumerable.Repeat(double.NaN, p * p).ToArray(); message += "; JᵀWJ singular: parameters not identifiable"; }
        var se = new double[p];
        for (int k = 0; k < p; k++) se[k] = Math.Sqrt(s2 * cov[k * p + k]);
        var corr = new double[p * p];
        for (int x = 0; x < p; x++)
            for (int y = 0; y < p; y++)
                corr[x * p + y] = cov[x * p + y] / Math.Sqrt(cov[x * p + x] * cov[y * p + y]);
        return new FitResult(parameters.Select(x => x.Name).ToArray(), theta, se, corr, cost, s2, iter, converged, message);
    }

    private static double Wss(double[] r, double[] w)
    {
        double s = 0;
        for (int i = 0; i < r.Length; i++) s += w[i] * r[i] * r[i];
        return s;
    }

    private static void Jacobian(double[] theta, IReadOnlyList<FitParameter> ps, double[] r0, Action<double[], double[]> residuals, double[] j, int m, int p)
    {
        var t = (double[])theta.Clone();
        var r = new double[m];
        for (int k = 0; k < p; k++)
        {
            double h = 1e-7 * Math.Max(Math.Abs(theta[k]), 1e-8 + 1e-3 * (ps[k].Upper - ps[k].Lower));
            // Step away from a bound rather than across it.
            if (theta[k] + h > ps[k].Upper) h = -h;
            t[k] = theta[k] + h;
            residuals(t, r);
            t[k] = theta[k];
            for (int i = 0; i < m; i++) j[i * p + k] = (r[i] - r0[i]) / h;
        }
    }

    private static void Normal(double[] j, double[] r, double[] w, int m, int p, double[] jtj, double[] jtr)
    {
        Array.Clear(jtj);
        Array.Clear(jtr);
        for (int i = 0; i < m; i++)
            for (int a = 0; a < p; a++)
            {
                double ja = j[i * p + a] * w[i];
                jtr[a] += ja * r[i];
                for (int b = 0; b < p; b++) jtj[a * p + b] += ja * j[i * p + b];
            }
    }
}
