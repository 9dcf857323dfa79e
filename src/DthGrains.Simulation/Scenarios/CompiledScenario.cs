using DthGrains.Simulation.Models;
using DthGrains.Simulation.Units;

namespace DthGrains.Simulation.Scenarios;

/// <summary>
/// A scenario checked against a model and turned into segments: breakpoints at every input change, with the rate
/// levels of each segment and the boluses applied at each breakpoint. Integration restarts at every breakpoint, so a
/// short pulse can never be stepped over. Immutable; shared by all patients and threads of a cohort run.
/// </summary>
public sealed class CompiledScenario
{
    /// <summary>Segment boundaries in model time, from 0 to the duration (length = segments + 1).</summary>
    public double[] Breakpoints { get; }

    /// <summary>Level set by rate events per segment and input (NaN: the model's default), row-major.</summary>
    internal double[] RateLevels { get; }

    /// <summary>Extra rate from infusions per segment and input, row-major.</summary>
    internal double[] RateExtra { get; }

    /// <summary>Boluses at each breakpoint: start index into the bolus arrays (length = breakpoints + 1).</summary>
    internal int[] BolusStart { get; }

    internal int[] BolusInput { get; }

    internal double[] BolusAmount { get; }

    /// <summary>Number of inputs of the model.</summary>
    public int InputCount { get; }

    /// <summary>Number of segments.</summary>
    public int SegmentCount => Breakpoints.Length - 1;

    /// <summary>Duration in model time.</summary>
    public double Duration => Breakpoints[^1];

    /// <summary>The source scenario.</summary>
    public Scenario Source { get; }

    private CompiledScenario(Scenario source, double[] breakpoints, double[] levels, double[] extra, int[] bolusStart, int[] bolusInput, double[] bolusAmount, int inputCount)
    {
        Source = source; Breakpoints = breakpoints; RateLevels = levels; RateExtra = extra;
        BolusStart = bolusStart; BolusInput = bolusInput; BolusAmount = bolusAmount; InputCount = inputCount;
    }

    /// <summary>Checks units and kinds against the model and builds the segments.</summary>
    public static CompiledScenario Compile(ModelInfo model, Scenario scenario)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        var timeUnit = model.TimeUnit;
        double duration = ToModelTime(scenario.Duration, scenario.TimeUnit, timeUnit, "duration");
        if (!(duration > 0)) throw new ArgumentException($"Scenario '{scenario.Name}' must have a positive duration.");

        var converted = new List<(double Time, int Input, ScenarioEvent Event, double Value, double End)>();
        foreach (var e in scenario.Events)
        {
            int input = model.InputIndex(e.Input);
            var info = model.Inputs[input];
            double t = ToModelTime(e.Time, scenario.TimeUnit, timeUnit, $"time of {e.Input}");
            if (t < 0 || t > duration) throw new ArgumentOutOfRangeException(nameof(scenario), $"Event '{e.Input}' at {e.Time} {scenario.TimeUnit} lies outside [0, {scenario.Duration}].");
            switch (e)
            {
                case BolusEvent b:
                    RequireKind(model, info, InputKind.Bolus, e);
                    converted.Add((t, input, e, Convert(model, info, b.Amount), t));
                    break;
                case RateEvent r:
                    RequireKind(model, info, InputKind.Rate, e);
                    converted.Add((t, input, e, Convert(model, info, r.Rate), duration));
                    break;
                case InfusionEvent f:
                    RequireKind(model, info, InputKind.Rate, e);
                    if (!(f.Duration > 0)) throw new ArgumentException($"Infusion of '{e.Input}' at {e.Time} needs a positive duration.");
                    double end = Math.Min(duration, t + ToModelTime(f.Duration, scenario.TimeUnit, timeUnit, "infusion duration"));
                    converted.Add((t, input, e, Convert(model, info, f.Rate), end));
                    break;
            }
        }

        var points = new SortedSet<double> { 0, duration };
        foreach (var c in converted) { points.Add(c.Time); if (c.Event is InfusionEvent) points.Add(c.End); }
        var bp = points.Where(p => p <= duration).ToArray();
        int segs = bp.Length - 1, ni = model.Inputs.Count;
        var levels = new double[segs * ni];
        var extra = new double[segs * ni];
        Array.Fill(levels, double.NaN);
        for (int k = 0; k < segs; k++)
        {
            double mid = bp[k];
            foreach (var c in converted.Where(c => c.Event is RateEvent).OrderBy(c => c.Time))
                if (c.Time <= mid) levels[k * ni + c.Input] = c.Value;
            foreach (var c in converted.Where(c => c.Event is InfusionEvent))
                if (c.Time <= mid && mid < c.End) extra[k * ni + c.Input] += c.Value;
        }

        var boluses = converted.Where(c => c.Event is BolusEvent).OrderBy(c => c.Time).ToList();
        var start = new int[bp.Length + 1];
        var bi = new int[boluses.Count];
        var ba = new double[boluses.Count];
        int j = 0;
        for (int k = 0; k < bp.Length; k++)
        {
            start[k] = j;
            while (j < boluses.Count && boluses[j].Time == bp[k]) { bi[j] = boluses[j].Input; ba[j] = boluses[j].Value; j++; }
        }
        start[bp.Length] = j;
        return new CompiledScenario(scenario, bp, levels, extra, start, bi, ba, ni);
    }

    /// <summary>Writes the rate inputs of segment k: the level (set or default) plus active infusions.</summary>
    public void SegmentInputs(int segment, ReadOnlySpan<double> defaults, Span<double> u)
    {
        int ni = InputCount;
        for (int i = 0; i < ni; i++)
        {
            double level = RateLevels[segment * ni + i];
            u[i] = (double.IsNaN(level) ? defaults[i] : level) + RateExtra[segment * ni + i];
        }
    }

    private static void RequireKind(ModelInfo model, InputInfo info, InputKind kind, ScenarioEvent e)
    {
        if (info.Kind != kind)
            throw new ArgumentException(
                $"Input '{info.Name}' of model '{model.Id}' is a {info.Kind.ToString().ToLowerInvariant()} input ({info.Unit.Symbol}); " +
                $"a {e.GetType().Name.Replace("Event", "", StringComparison.Ordinal).ToLowerInvariant()} event cannot drive it.");
    }

    private static double Convert(ModelInfo model, InputInfo info, Quantity q)
    {
        if (q.Unit.Dimension != info.Unit.Dimension)
            throw new UnitMismatchException(
                $"Input '{info.Name}' of model '{model.Id}' expects {info.Unit.Dimension} (for example {info.Unit.Symbol}); " +
                $"got {q} ({q.Unit.Dimension}).", info.Unit, q.Unit);
        return q.In(info.Unit);
    }

    private static double ToModelTime(double value, Unit from, Unit to, string what)
    {
        if (from.Dimension != "time") throw new UnitMismatchException($"Scenario {what} must be in a time unit (min, h, s); got {from.Symbol}.", to, from);
        return from.ConvertTo(value, to);
    }
}
