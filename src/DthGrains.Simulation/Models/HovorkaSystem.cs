using DthGrains.Simulation.Engine;
using static DthGrains.Simulation.Models.HovorkaModel;

namespace DthGrains.Simulation.Models;

/// <summary>
/// The Hovorka equations with parameters and inputs bound: the one place they are written (the model's
/// <see cref="HovorkaModel.Derivatives"/> calls it too), inlined into the solver's stage loops for cohort runs.
/// Only products are folded per segment (body-weight scalings, tmaxI·VI): every operation of an evaluation is the one
/// the span-based code did, in the same order, so results stay bit-identical to it. Divisions are not turned into
/// multiplications by a reciprocal, which would be faster but round differently. The model has no analytic Jacobian
/// (Rodas4 differentiates numerically), so neither does this system.
/// </summary>
internal struct HovorkaSystem : IModelSystem
{
    private double _vg, _f01, _egp0, _k12, _tmaxG, _tmaxI, _tmaxIVi, _ke, _ka1, _ka2, _ka3, _sit, _sid, _sie, _insulin;

    public static HovorkaSystem From(ReadOnlySpan<double> p, ReadOnlySpan<double> u)
    {
        double bw = p[BW];
        return new HovorkaSystem
        {
            _vg = p[VG] * bw,
            _f01 = p[F01] * bw,
            _egp0 = p[EGP0] * bw,
            _k12 = p[K12],
            _tmaxG = p[TmaxG],
            _tmaxI = p[TmaxI],
            _tmaxIVi = p[TmaxI] * (p[VI] * bw),
            _ke = p[Ke],
            _ka1 = p[Ka1], _ka2 = p[Ka2], _ka3 = p[Ka3],
            _sit = p[SIT], _sid = p[SID], _sie = p[SIE],
            _insulin = u[Insulin],
        };
    }

    public void Bind(double[] p, double[] u) => this = From(p, u);

    public readonly int Dimension => 10;
    public readonly bool HasJacobian => false;
    public readonly bool IsAutonomous => true;

    public readonly void Evaluate(double t, ReadOnlySpan<double> x, Span<double> dx)
    {
        // Highest index first: one bounds check for x and one for dx instead of ten each.
        double d2 = x[9], d1 = x[8], x3 = x[7], x2 = x[6], x1 = x[5], ins = x[4], s2 = x[3], s1 = x[2], q2 = x[1], q1 = x[0];
        double vg = _vg, tmaxG = _tmaxG, tmaxI = _tmaxI;
        double g = q1 / vg;
        double f01c = g >= 4.5 ? _f01 : _f01 * Math.Max(g, 0) / 4.5;   // F01c = F01·min(1, G/4.5)
        double fr = g >= 9 ? 0.003 * (g - 9) * vg : 0;                   // renal clearance above 9 mmol/L
        double egp = _egp0 * Math.Max(0, 1 - x3);                         // EGP clamped at zero (Wilinska 2010)
        dx[9] = (d1 - d2) / tmaxG;
        dx[8] = -d1 / tmaxG;
        dx[7] = _ka3 * (_sie * ins - x3);
        dx[6] = _ka2 * (_sid * ins - x2);
        dx[5] = _ka1 * (_sit * ins - x1);
        dx[4] = s2 / _tmaxIVi - _ke * ins;
        dx[3] = (s1 - s2) / tmaxI;
        dx[2] = _insulin - s1 / tmaxI;
        dx[1] = x1 * q1 - (_k12 + x2) * q2;
        dx[0] = -f01c - x1 * q1 + _k12 * q2 - fr + d2 / tmaxG + egp;
    }

    public readonly void Jacobian(double t, ReadOnlySpan<double> x, Span<double> dfdy) =>
        throw new NotSupportedException($"Model '{HovorkaModel.Id}' has no analytic Jacobian; the solver uses finite differences.");
}
