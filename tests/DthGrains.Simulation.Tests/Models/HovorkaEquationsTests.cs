using DthGrains.Simulation.Cohorts;
using DthGrains.Simulation.Models;

namespace DthGrains.Simulation.Tests.Models;

public class HovorkaEquationsTests
{
    /// <summary>
    /// The struct system the solvers inline promises the bits of the span-based right-hand side it replaced (the same
    /// operations in the same order), which is what keeps a Hovorka request's results identical across that change.
    /// The reference below is that code, verbatim; states are drawn wide enough to visit every branch
    /// (G below 4.5, between, above 9 mmol/L, negative; x3 above and below 1).
    /// </summary>
    [Fact]
    public void Struct_system_gives_the_bits_of_the_span_based_equations()
    {
        var model = new HovorkaModel();
        var sampler = new CohortSampler(model.Info, model.DefaultParameters());
        var rng = new Random(11);
        var p = new double[model.Info.Parameters.Count];
        var u = new double[model.Info.Inputs.Count];
        var x = new double[10];
        var expected = new double[10];
        var actual = new double[10];
        int vgIndex = model.Info.ParameterIndex("VG"), bwIndex = model.Info.ParameterIndex("BW"), insulin = model.Info.InputIndex("insulin");
        int low = 0, high = 0, suppressed = 0;
        for (int patient = 0; patient < 200; patient++)
        {
            sampler.Sample(3, patient, p);
            model.DefaultInputs(p, u);
            u[insulin] *= 4 * rng.NextDouble();
            for (int k = 0; k < 50; k++)
            {
                double vg = p[vgIndex] * p[bwIndex];
                x[0] = (rng.NextDouble() * 25 - 1) * vg;
                for (int i = 1; i < 10; i++) x[i] = rng.NextDouble() * Scale[i];
                low += x[0] / vg < 4.5 ? 1 : 0;
                high += x[0] / vg >= 9 ? 1 : 0;
                suppressed += x[7] > 1 ? 1 : 0;
                Reference(x, p, u, expected);
                model.Derivatives(0, x, p, u, actual);
                actual.Select(BitConverter.DoubleToInt64Bits).Should().Equal(expected.Select(BitConverter.DoubleToInt64Bits));
            }
        }
        low.Should().BePositive();
        high.Should().BePositive();
        suppressed.Should().BePositive();
    }

    // Typical magnitudes of Q2, S1, S2, I, x1, x2, x3 (up to 2: EGP suppressed), D1, D2.
    private static readonly double[] Scale = [0, 200, 5000, 5000, 60, 0.2, 0.05, 2, 300, 300];

    private static void Reference(ReadOnlySpan<double> x, ReadOnlySpan<double> p, ReadOnlySpan<double> u, Span<double> dx)
    {
        const int EGP0 = 0, F01 = 1, K12 = 2, Ka1 = 3, Ka2 = 4, Ka3 = 5, SIT = 6, SID = 7, SIE = 8, VG = 9, VI = 10, Ke = 11, TmaxI = 12, TmaxG = 13, BW = 15;
        const int Insulin = 0;
        double bw = p[BW], vg = p[VG] * bw, vi = p[VI] * bw;
        double q1 = x[0], q2 = x[1], s1 = x[2], s2 = x[3], ins = x[4], x1 = x[5], x2 = x[6], x3 = x[7], d1 = x[8], d2 = x[9];
        double g = q1 / vg;
        double f01 = p[F01] * bw;
        double f01c = g >= 4.5 ? f01 : f01 * Math.Max(g, 0) / 4.5;
        double fr = g >= 9 ? 0.003 * (g - 9) * vg : 0;
        double egp = p[EGP0] * bw * Math.Max(0, 1 - x3);
        double tmaxG = p[TmaxG], tmaxI = p[TmaxI];
        dx[0] = -f01c - x1 * q1 + p[K12] * q2 - fr + d2 / tmaxG + egp;
        dx[1] = x1 * q1 - (p[K12] + x2) * q2;
        dx[2] = u[Insulin] - s1 / tmaxI;
        dx[3] = (s1 - s2) / tmaxI;
        dx[4] = s2 / (tmaxI * vi) - p[Ke] * ins;
        dx[5] = p[Ka1] * (p[SIT] * ins - x1);
        dx[6] = p[Ka2] * (p[SID] * ins - x2);
        dx[7] = p[Ka3] * (p[SIE] * ins - x3);
        dx[8] = -d1 / tmaxG;
        dx[9] = (d1 - d2) / tmaxG;
    }
}
