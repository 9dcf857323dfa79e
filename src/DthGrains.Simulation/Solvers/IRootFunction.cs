namespace DthGrains.Simulation.Solvers;

/// <summary>
/// State-event functions g(t, y): an event is a sign change of one component
/// (for example glucose minus a hypoglycaemia threshold). Located on the dense output.
/// </summary>
public interface IRootFunction
{
    /// <summary>Number of event functions.</summary>
    int Count { get; }

    /// <summary>Writes g(t, y) into <paramref name="g"/>.</summary>
    void Evaluate(double t, ReadOnlySpan<double> y, Span<double> g);

    /// <summary>True when integration must stop at an event of this function.</summary>
    bool IsTerminal(int index) => false;
}

/// <summary>A located state event: when, which function, and the direction of the crossing (+1 rising, -1 falling).</summary>
public readonly record struct StateEvent(double Time, int RootIndex, int Direction);
