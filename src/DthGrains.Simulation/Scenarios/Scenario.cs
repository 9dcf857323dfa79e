using DthGrains.Simulation.Units;

namespace DthGrains.Simulation.Scenarios;

/// <summary>
/// A schedule of inputs over a simulated period. Times are in <see cref="TimeUnit"/>, amounts and rates carry their
/// own units; both are converted to the model's units when the scenario is compiled, and rejected if they do not fit.
/// </summary>
public sealed record Scenario(string Name, double Duration, Unit TimeUnit, IReadOnlyList<ScenarioEvent> Events, string Description = "")
{
    /// <summary>Starts a scenario in minutes (the glucose models' unit).</summary>
    public static ScenarioBuilder Create(string name, double duration, string timeUnit = "min") =>
        new(name, duration, UnitRegistry.Parse(timeUnit));
}

/// <summary>One scheduled input change.</summary>
public abstract record ScenarioEvent(double Time, string Input);

/// <summary>An amount given at one instant (meal carbohydrate, insulin bolus, oral dose).</summary>
public sealed record BolusEvent(double Time, string Input, Quantity Amount) : ScenarioEvent(Time, Input);

/// <summary>A level that replaces the previous one from <c>Time</c> on (basal rate, heart rate).</summary>
public sealed record RateEvent(double Time, string Input, Quantity Rate) : ScenarioEvent(Time, Input);

/// <summary>An extra rate added on top of the level for <c>Duration</c> (an infusion, a square-wave bolus, a short pulse).</summary>
public sealed record InfusionEvent(double Time, string Input, Quantity Rate, double Duration) : ScenarioEvent(Time, Input);

/// <summary>Fluent construction of scenarios.</summary>
public sealed class ScenarioBuilder(string name, double duration, Unit timeUnit)
{
    private readonly List<ScenarioEvent> _events = [];
    private string _description = "";

    /// <summary>Free-text description (what the scenario reproduces).</summary>
    public ScenarioBuilder Describe(string description) { _description = description; return this; }

    /// <summary>An instantaneous amount.</summary>
    public ScenarioBuilder Bolus(double time, string input, double amount, string unit) { _events.Add(new BolusEvent(time, input, Quantity.Of(amount, unit))); return this; }

    /// <summary>A level from <paramref name="time"/> on.</summary>
    public ScenarioBuilder Rate(double time, string input, double rate, string unit) { _events.Add(new RateEvent(time, input, Quantity.Of(rate, unit))); return this; }

    /// <summary>An extra rate for a duration.</summary>
    public ScenarioBuilder Infusion(double time, string input, double rate, string unit, double duration) { _events.Add(new InfusionEvent(time, input, Quantity.Of(rate, unit), duration)); return this; }

    /// <summary>A carbohydrate meal (input "meal").</summary>
    public ScenarioBuilder Meal(double time, double grams) => Bolus(time, "meal", grams, "g");

    /// <summary>A dosing regimen: <paramref name="count"/> boluses every <paramref name="interval"/> from <paramref name="first"/>.</summary>
    public ScenarioBuilder Repeat(string input, double amount, string unit, double first, double interval, int count)
    {
        for (int i = 0; i < count; i++) Bolus(first + i * interval, input, amount, unit);
        return this;
    }

    /// <summary>The scenario.</summary>
    public Scenario Build() => new(name, duration, timeUnit, _events.ToArray(), _description);
}
