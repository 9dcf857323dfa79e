namespace DthGrains.Simulation.Solvers;

/// <summary>
/// Shared driver of the adaptive one-step solvers: step-size control, output sampling through dense output,
/// and state-event location. A solver instance is a reusable workspace: every array is allocated in the
/// constructor, so <see cref="Integrate"/> allocates nothing. Not thread-safe: use one instance per thread.
/// Generic in the system type so that a struct system (a model's right-hand side with its parameters bound) is
/// called directly and inlined by the JIT in the stage loops; <see cref="IOdeSystem"/> itself gives the interface-call path.
/// </summary>
public abstract class OdeSolver<TSystem> where TSystem : IOdeSystem
{
    /// <summary>Number of state variables this workspace was sized for.</summary>
    public int Dimension { get; }

    /// <summary>Current state (at <c>t</c>) and candidate state (at <c>t + h</c>).</summary>
    protected readonly double[] Y, YNew;

    private readonly double[] _yInterp, _scratchF;
    private double[] _gOld = [], _gNew = [], _gTmp = [];
    private readonly StateEvent[] _events;
    private int _eventCount, _eventsDropped;

    /// <summary>Work counters.</summary>
    public SolverStatistics Statistics;

    /// <summary>Tolerances and limits in force.</summary>
    protected SolverOptions Options { get; private set; }

    /// <summary>Creates a workspace for systems of <paramref name="dimension"/> states.</summary>
    protected OdeSolver(int dimension, SolverOptions options, int eventCapacity = 64)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        options.Validate();
        Dimension = dimension;
        Options = options;
        Y = new double[dimension];
        YNew = new double[dimension];
        _yInterp = new double[dimension];
        _scratchF = new double[dimension];
        _events = new StateEvent[eventCapacity];
    }

    /// <summary>Classical order of the step that is propagated (used by the step-size controller).</summary>
    protected abstract int ErrorOrder { get; }

    /// <summary>Called at the start of every segment with <see cref="Y"/> set: compute f(t0, y) and anything FSAL needs.</summary>
    protected abstract void BeginSegment(ref TSystem system, double t0, Span<double> f0);

    /// <summary>Attempts a step of size h from (t, Y); fills <see cref="YNew"/> and returns the error norm (NaN when the step failed).</summary>
    protected abstract double TryStep(ref TSystem system, double t, double h);

    /// <summary>After an accepted step: prepare the dense-output coefficients for (t, t+h).</summary>
    protected abstract void PrepareDenseOutput(ref TSystem system, double t, double h);

    /// <summary>Writes y(t + θh) for θ in [0, 1] into <paramref name="destination"/>.</summary>
    protected abstract void Interpolate(double theta, Span<double> destination);

    /// <summary>After an accepted step has been fully used: make YNew the current state (FSAL bookkeeping).</summary>
    protected virtual void CommitStep() => YNew.AsSpan().CopyTo(Y);

    /// <summary>True while the current segment should watch for stiffness (costs a little per step, so only when asked).</summary>
    protected bool DetectStiffness { get; private set; }

    /// <summary>Stiffness indicator checked after each accepted step when the caller asks for hand-over.</summary>
    protected virtual bool StiffnessDetected => false;

    /// <summary>Hook for solvers that keep stiffness counters across segments.</summary>
    protected virtual void ResetStiffnessDetection() { }

    /// <summary>State events located since the last <see cref="ClearEvents"/>, in time order.</summary>
    public ReadOnlySpan<StateEvent> Events => _events.AsSpan(0, _eventCount);

    /// <summary>Events that did not fit the preallocated log (never silently lost: counted here).</summary>
    public int EventsDropped => _eventsDropped;

    /// <summary>Forgets located events.</summary>
    public void ClearEvents() { _eventCount = 0; _eventsDropped = 0; }

    /// <summary>Zeroes the work counters.</summary>
    public void ResetStatistics() => Statistics = default;

    /// <summary>Changes tolerances without reallocating.</summary>
    public void SetOptions(SolverOptions options) { options.Validate(); Options = options; }

    /// <summary>Weighted RMS error norm shared by both solvers.</summary>
    protected double ErrorNorm(ReadOnlySpan<double> err, ReadOnlySpan<double> yOld, ReadOnlySpan<double> yNew)
    {
        double rtol = Options.RelativeTolerance, atol = Options.AbsoluteTolerance, sum = 0;
        for (int i = 0; i < err.Length; i++)
        {
            double sc = atol + rtol * Math.Max(Math.Abs(yOld[i]), Math.Abs(yNew[i]));
            double r = err[i] / sc;
            sum += r * r;
        }
        return Math.Sqrt(sum / err.Length);
    }

    /// <summary>
    /// Integrates from <paramref name="t0"/> to <paramref name="t1"/> (t1 &gt; t0), starting from and returning the state in
    /// <paramref name="y"/>. Writes the state at each requested output time in [t0, t1) — and t1 itself when
    /// <paramref name="includeEnd"/> — into row <c>k</c> of <paramref name="outputStates"/> (row length = Dimension),
    /// advancing <paramref name="nextOutput"/>. Output times must be sorted. The step size is re-selected at each call,
    /// because a call starts after a discontinuity (a dose, a meal, a rate change).
    /// </summary>
    public IntegrationResult Integrate(
        TSystem system,
        double t0,
        double t1,
        Span<double> y,
        ReadOnlySpan<double> outputTimes,
        Span<double> outputStates,
        ref int nextOutput,
        bool includeEnd = true,
        IRootFunction? roots = null,
        bool stopOnStiffness = false)
    {
        int n = Dimension;
        if (system.Dimension != n) throw new ArgumentException($"System has {system.Dimension} states; this solver was sized for {n}.");
        if (y.Length != n) throw new ArgumentException("State span length must equal the dimension.", nameof(y));
        if (!(t1 > t0)) throw new ArgumentException($"t1 ({t1}) must be greater than t0 ({t0}).");

        y.CopyTo(Y);
        // Outputs requested at the segment start see the state after the discontinuity applied at t0.
        while (nextOutput < outputTimes.Length && outputTimes[nextOutput] <= t0)
        {
            Y.AsSpan().CopyTo(outputStates.Slice(nextOutput * n, n));
            nextOutput++;
        }

        Span<double> f0 = _scratchF;
        BeginSegment(ref system, t0, f0);
        ResetStiffnessDetection();
        DetectStiffness = stopOnStiffness;
        int nr = roots?.Count ?? 0;
        if (roots is not null)
        {
            EnsureRootBuffers(nr);
            roots.Evaluate(t0, Y, _gOld.AsSpan(0, nr));
        }

        double t = t0;
        double h = Options.InitialStep > 0
            ? Math.Min(Math.Min(Options.InitialStep, t1 - t0), Options.MaxStep)
            : InitialStep(ref system, t0, f0, t1 - t0);
        bool lastRejected = false;
        int steps = 0;
        double order = ErrorOrder;
        while (true)
        {
            if (++steps > Options.MaxSteps) { y.Assign(Y); return new(IntegrationStatus.TooManySteps, t); }
            double remaining = t1 - t;
            // Land exactly on t1 instead of leaving a sliver.
            bool last = h >= remaining * (1 - 1e-12) || t + h * 1.0001 >= t1;
            if (last) h = remaining;
            if (h < 16 * double.Epsilon * Math.Max(1, Math.Abs(t)) || h < Math.Abs(t) * 1e-14)
            {
                y.Assign(Y);
                return new(IntegrationStatus.StepSizeTooSmall, t);
            }

            double err = TryStep(ref system, t, h);
            if (!double.IsFinite(err))
            {
                Statistics.RejectedSteps++;
                h *= 0.25;
                lastRejected = true;
                continue;
            }

            // Standard controller (as SciPy and Hairer): safety 0.9, factor limited to [0.2, 10], no growth right after a rejection.
            double factor = err == 0 ? 10 : 0.9 * Math.Pow(err, -1.0 / (order + 1));
            if (err > 1)
            {
                Statistics.RejectedSteps++;
                h *= Math.Max(0.2, factor);
                lastRejected = true;
                continue;
            }

            Statistics.AcceptedSteps++;
            double tNew = last ? t1 : t + h;
            PrepareDenseOutput(ref system, t, h);

            double tStop = tNew;
            bool stopping = false;
            if (roots is not null && nr > 0)
            {
                roots.Evaluate(tNew, YNew, _gNew.AsSpan(0, nr));
                stopping = LocateRoots(roots, nr, t, h, ref tStop);
            }

            // Dense output for requested times inside the step.
            while (nextOutput < outputTimes.Length)
            {
                double to = outputTimes[nextOutput];
                bool inside = stopping ? to <= tStop : (to < tNew || (includeEnd && last && to <= tNew));
                if (!inside) break;
                var row = outputStates.Slice(nextOutput * n, n);
                if (to == tNew) YNew.AsSpan().CopyTo(row);
                else Interpolate((to - t) / h, row);
                nextOutput++;
            }

            if (stopping)
            {
                Interpolate((tStop - t) / h, y);
                return new(IntegrationStatus.StoppedAtEvent, tStop);
            }

            CommitStep();
            if (nr > 0) _gNew.AsSpan(0, nr).CopyTo(_gOld);
            t = tNew;
            if (last) { y.Assign(Y); return new(IntegrationStatus.Completed, t1); }
            if (stopOnStiffness && StiffnessDetected) { y.Assign(Y); return new(IntegrationStatus.StiffnessDetected, t); }

            double grow = Math.Min(10, factor);
            if (lastRejected) grow = Math.Min(1, grow);
            h = Math.Min(h * grow, Options.MaxStep);
            lastRejected = false;
        }
    }

    private void EnsureRootBuffers(int nr)
    {
        // Sized once for the largest root set seen: a setup allocation, never a per-step one.
        if (_gOld.Length >= nr) return;
        _gOld = new double[nr];
        _gNew = new double[nr];
        _gTmp = new double[nr];
    }

    /// <summary>Finds sign changes of g over the accepted step, records them, and returns true at a terminal event.</summary>
    private bool LocateRoots(IRootFunction roots, int nr, double t, double h, ref double tStop)
    {
        bool stopping = false;
        for (int i = 0; i < nr; i++)
        {
            double ga = _gOld[i], gb = _gNew[i];
            if (ga == 0 || Math.Sign(ga) == Math.Sign(gb)) continue;
            double theta = FindRoot(roots, i, t, h, ga, gb);
            double tr = t + theta * h;
            Record(new StateEvent(tr, i, gb > ga ? 1 : -1));
            if (roots.IsTerminal(i) && tr <= tStop)
            {
                stopping = true;
                tStop = tr;
            }
        }
        return stopping;
    }

    /// <summary>Illinois (modified regula falsi) on the dense-output interpolant.</summary>
    private double FindRoot(IRootFunction roots, int index, double t, double h, double ga, double gb)
    {
        double a = 0, b = 1;
        int side = 0;
        double tolTheta = 1e-13 * Math.Max(1, Math.Abs(t)) / Math.Abs(h) + 1e-15;
        for (int it = 0; it < 100 && b - a > tolTheta; it++)
        {
            double c = (a * gb - b * ga) / (gb - ga);
            if (!(c > a && c < b)) c = 0.5 * (a + b);
            Interpolate(c, _yInterp);
            roots.Evaluate(t + c * h, _yInterp, _gTmp);
            double gc = _gTmp[index];
            if (gc == 0) return c;
            if (Math.Sign(gc) == Math.Sign(gb))
            {
                b = c; gb = gc;
                if (side == 1) ga *= 0.5;
                side = 1;
            }
            else
            {
                a = c; ga = gc;
                if (side == -1) gb *= 0.5;
                side = -1;
            }
        }
        return b;
    }

    private void Record(StateEvent e)
    {
        if (_eventCount == _events.Length) { _eventsDropped++; return; }
        int k = _eventCount++;
        while (k > 0 && _events[k - 1].Time > e.Time) { _events[k] = _events[k - 1]; k--; }
        _events[k] = e;
    }

    /// <summary>Hairer–Wanner starting step (Solving ODEs I, II.4), capped by the segment length and MaxStep.</summary>
    private double InitialStep(ref TSystem system, double t0, ReadOnlySpan<double> f0, double span)
    {
        int n = Dimension;
        double rtol = Options.RelativeTolerance, atol = Options.AbsoluteTolerance;
        double d0 = 0, d1 = 0;
        for (int i = 0; i < n; i++)
        {
            double sc = atol + rtol * Math.Abs(Y[i]);
            d0 += (Y[i] / sc) * (Y[i] / sc);
            d1 += (f0[i] / sc) * (f0[i] / sc);
        }
        d0 = Math.Sqrt(d0 / n);
        d1 = Math.Sqrt(d1 / n);
        double h0 = d0 < 1e-5 || d1 < 1e-5 ? 1e-6 : 0.01 * d0 / d1;
        h0 = Math.Min(h0, span);
        for (int i = 0; i < n; i++) YNew[i] = Y[i] + h0 * f0[i];
        system.Evaluate(t0 + h0, YNew, _yInterp);
        Statistics.RhsEvaluations++;
        double d2 = 0;
        for (int i = 0; i < n; i++)
        {
            double sc = atol + rtol * Math.Abs(Y[i]);
            double r = (_yInterp[i] - f0[i]) / sc;
            d2 += r * r;
        }
        d2 = Math.Sqrt(d2 / n) / h0;
        double m = Math.Max(d1, d2);
        double h1 = m <= 1e-15 ? Math.Max(1e-6, h0 * 1e-3) : Math.Pow(0.01 / m, 1.0 / (ErrorOrder + 1));
        double h = Math.Min(100 * h0, h1);
        if (!double.IsFinite(h) || h <= 0) h = 1e-6;
        return Math.Min(Math.Min(h, span), Options.MaxStep);
    }
}

internal static class SpanExtensions
{
    /// <summary>Copies an array into a span (reads better at the many return points of the driver).</summary>
    public static void Assign(this Span<double> destination, double[] source) => source.AsSpan().CopyTo(destination);
}
