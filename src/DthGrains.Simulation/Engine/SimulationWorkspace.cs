using DthGrains.Simulation.Models;
using DthGrains.Simulation.Scenarios;
using DthGrains.Simulation.Solvers;

namespace DthGrains.Simulation.Engine;

/// <summary>
/// Everything one thread needs to simulate one model many times: solver workspaces, state and input buffers,
/// the output grid. Allocated once; <see cref="Solve(CompiledScenario, ReadOnlySpan{double}, Span{double})"/> then allocates nothing, which is what lets a cohort of a
/// million patients run without garbage. Not thread-safe: one workspace per thread.
/// </summary>
public sealed class SimulationWorkspace : ISubjectSimulator
{
    private readonly ModelDefinition _model;
    private readonly ModelIntegrator _integrator;
    private readonly double[] _times, _x, _p, _u, _defaults, _stateRows;
    private readonly int _nx, _ny;

    /// <summary>Creates a workspace for <paramref name="model"/> sampled at <paramref name="outputTimes"/> (model time units, sorted).</summary>
    public SimulationWorkspace(ModelDefinition model, SolverOptions options, ReadOnlySpan<double> outputTimes)
    {
        _model = model;
        var info = model.Info;
        _nx = info.States.Count;
        _ny = info.Outputs.Count;
        for (int i = 1; i < outputTimes.Length; i++)
            if (!(outputTimes[i] >= outputTimes[i - 1])) throw new ArgumentException("Output times must be sorted.", nameof(outputTimes));
        _times = outputTimes.ToArray();
        var effective = options.Kind == SolverKind.Auto && info.PreferredSolver != SolverKind.Auto ? options with { Kind = info.PreferredSolver } : options;
        _integrator = model.CreateIntegrator(effective);
        _x = new double[_nx];
        _p = new double[info.Parameters.Count];
        _u = new double[info.Inputs.Count];
        _defaults = new double[info.Inputs.Count];
        _stateRows = new double[_times.Length * _nx];
    }

    /// <summary>The model simulated.</summary>
    public ModelDefinition Model => _model;

    /// <summary>Output times in model time units.</summary>
    public ReadOnlySpan<double> Times => _times;

    /// <summary>Number of outputs per time point.</summary>
    public int OutputCount => _ny;

    /// <summary>States at the output times of the last solve, row-major [time, state].</summary>
    public ReadOnlySpan<double> States => _stateRows;

    /// <summary>Work counters of the last solve.</summary>
    public SolverStatistics Statistics => _integrator.Statistics;

    /// <summary>True when the last solve handed over to the stiff solver.</summary>
    public bool SwitchedToStiff => _integrator.SwitchedToStiff;

    /// <summary>Optional state events (indices refer to this root function) recorded during each solve.</summary>
    public IRootFunction? Roots { get; set; }

    /// <summary>Number of events located in the last solve.</summary>
    public int EventCount => _integrator.EventCount;

    /// <summary>Events located in the last solve.</summary>
    public int CopyEvents(Span<StateEvent> destination) => _integrator.CopyEvents(destination);

    /// <summary>
    /// Simulates one individual: parameters <paramref name="parameters"/>, inputs from <paramref name="scenario"/>.
    /// Writes outputs row-major [time, output] into <paramref name="outputs"/> (length = times × outputs).
    /// Returns the integration status of the first failing segment, or Completed.
    /// </summary>
    public IntegrationStatus Solve(CompiledScenario scenario, ReadOnlySpan<double> parameters, Span<double> outputs, SubjectIdentity subject, CancellationToken cancellationToken) =>
        Solve(scenario, parameters, outputs);

    /// <inheritdoc cref="Solve(CompiledScenario, ReadOnlySpan{double}, Span{double}, SubjectIdentity, CancellationToken)"/>
    public IntegrationStatus Solve(CompiledScenario scenario, ReadOnlySpan<double> parameters, Span<double> outputs)
    {
        if (parameters.Length != _p.Length) throw new ArgumentException($"Expected {_p.Length} parameters.", nameof(parameters));
        if (outputs.Length < _times.Length * _ny) throw new ArgumentException("Output span too short.", nameof(outputs));
        if (scenario.InputCount != _defaults.Length) throw new ArgumentException("Scenario was compiled for another model.", nameof(scenario));

        parameters.CopyTo(_p);
        var p = _p;
        var u = _u;
        _model.DefaultInputs(p, _defaults);
        scenario.SegmentInputs(0, _defaults, u);
        _model.InitialState(p, u, _x);
        _integrator.BeginSolve();

        var bp = scenario.Breakpoints;
        int next = 0, segments = scenario.SegmentCount;
        var status = IntegrationStatus.Completed;
        for (int k = 0; k < segments; k++)
        {
            scenario.SegmentInputs(k, _defaults, u);
            for (int b = scenario.BolusStart[k]; b < scenario.BolusStart[k + 1]; b++)
                _model.ApplyBolus(scenario.BolusInput[b], scenario.BolusAmount[b], p, _x);

            int first = next;
            var r = _integrator.Integrate(p, u, bp[k], bp[k + 1], _x, _times, _stateRows, ref next, includeEnd: k == segments - 1, Roots);
            // Outputs depend on the segment's inputs (e.g. the inflow of the Windkessel), so they are computed per segment.
            for (int row = first; row < next; row++)
                _model.Outputs(_times[row], _stateRows.AsSpan(row * _nx, _nx), p, u, outputs.Slice(row * _ny, _ny));
            if (!r.IsSuccess) { status = r.Status; break; }
        }
        if (status == IntegrationStatus.Completed && next < _times.Length)
        {
            // Times beyond the scenario end: hold nothing, mark them missing rather than inventing values.
            outputs[(next * _ny)..(_times.Length * _ny)].Fill(double.NaN);
        }
        return status;
    }
}
