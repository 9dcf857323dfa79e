namespace DthGrains.Simulation.Solvers;

/// <summary>
/// The solver behind one interface: explicit, stiff, or automatic selection (Dormand–Prince first; when its
/// stiffness detector fires, the rest of the solve continues with Rodas4 from the point reached).
/// Holds both workspaces, so switching allocates nothing. One instance per thread. Generic in the system type for the
/// same reason as <see cref="OdeSolver{TSystem}"/>; <see cref="OdeIntegrator"/> serves any <see cref="IOdeSystem"/>.
/// </summary>
public class OdeIntegrator<TSystem> where TSystem : IOdeSystem
{
    private readonly DormandPrince45<TSystem> _explicit;
    private readonly Rodas4<TSystem> _stiff;
    private bool _switched;

    /// <summary>Creates the workspaces for a system of <paramref name="dimension"/> states.</summary>
    public OdeIntegrator(int dimension, SolverOptions options)
    {
        options.Validate();
        Options = options;
        _explicit = new DormandPrince45<TSystem>(dimension, options);
        _stiff = new Rodas4<TSystem>(dimension, options);
    }

    /// <summary>Options in force.</summary>
    public SolverOptions Options { get; private set; }

    /// <summary>State dimension.</summary>
    public int Dimension => _explicit.Dimension;

    /// <summary>True when the current solve has handed over to the stiff solver.</summary>
    public bool SwitchedToStiff => _switched;

    /// <summary>Combined work counters of the current solve.</summary>
    public SolverStatistics Statistics
    {
        get
        {
            var s = _explicit.Statistics;
            s.Add(_stiff.Statistics);
            return s;
        }
    }

    /// <summary>Events located in the current solve (explicit phase first, then stiff phase).</summary>
    public int CopyEvents(Span<StateEvent> destination)
    {
        var a = _explicit.Events;
        var b = _stiff.Events;
        int count = Math.Min(destination.Length, a.Length + b.Length);
        for (int i = 0; i < count; i++) destination[i] = i < a.Length ? a[i] : b[i - a.Length];
        return count;
    }

    /// <summary>Number of events located in the current solve.</summary>
    public int EventCount => _explicit.Events.Length + _stiff.Events.Length;

    /// <summary>Changes tolerances or solver kind without reallocating.</summary>
    public void SetOptions(SolverOptions options)
    {
        options.Validate();
        Options = options;
        _explicit.SetOptions(options);
        _stiff.SetOptions(options);
    }

    /// <summary>Starts a new solve: forgets statistics, events and any previous stiffness hand-over.</summary>
    public void BeginSolve()
    {
        _switched = false;
        _explicit.ResetStatistics(); _stiff.ResetStatistics();
        _explicit.ClearEvents(); _stiff.ClearEvents();
    }

    /// <summary>Integrates one segment; see <see cref="OdeSolver{TSystem}.Integrate"/> for the output contract.</summary>
    public IntegrationResult Integrate(
        TSystem system, double t0, double t1, Span<double> y,
        ReadOnlySpan<double> outputTimes, Span<double> outputStates, ref int nextOutput,
        bool includeEnd = true, IRootFunction? roots = null)
    {
        switch (Options.Kind)
        {
            case SolverKind.DormandPrince45:
                return _explicit.Integrate(system, t0, t1, y, outputTimes, outputStates, ref nextOutput, includeEnd, roots);
            case SolverKind.Rodas4:
                return _stiff.Integrate(system, t0, t1, y, outputTimes, outputStates, ref nextOutput, includeEnd, roots);
        }

        if (!_switched)
        {
            var r = _explicit.Integrate(system, t0, t1, y, outputTimes, outputStates, ref nextOutput, includeEnd, roots, stopOnStiffness: true);
            if (r.Status != IntegrationStatus.StiffnessDetected) return r;
            _switched = true;
            t0 = r.Time;
            if (t0 >= t1) return new(IntegrationStatus.Completed, t1);
        }
        return _stiff.Integrate(system, t0, t1, y, outputTimes, outputStates, ref nextOutput, includeEnd, roots);
    }
}

/// <summary>The integrator for any <see cref="IOdeSystem"/> (interface calls).</summary>
public sealed class OdeIntegrator(int dimension, SolverOptions options) : OdeIntegrator<IOdeSystem>(dimension, options);
