namespace DthGrains.Simulation.Scenarios;

/// <summary>A meal of a glucose what-if plan: minutes from the start, carbohydrate (g) and the bolus with it (U, 0 for none).</summary>
public sealed record GlucosePlanMeal(double AtMinute, double Carbohydrate, double BolusUnits);

/// <summary>
/// What-if plans of glucose models (meals with boluses on a basal rate) as engine scenarios: the one place both twins
/// (their local predictions) and simulation runs (a run request's inline plan) build them, so both simulate the same thing.
/// </summary>
public static class GlucosePlans
{
    /// <summary>The model inputs a plan drives: basal insulin (rate), bolus insulin and meals.</summary>
    public const string BasalInput = "insulin", BolusInput = "insulin_bolus", MealInput = "meal";

    /// <summary>
    /// The scenario of a plan, in minutes: the basal rate from the start, then the meals in time order, each with its bolus.
    /// Zero carbohydrate or zero bolus adds no event.
    /// </summary>
    public static Scenario Build(string name, double hours, IEnumerable<GlucosePlanMeal> meals, double basalUnitsPerHour)
    {
        var builder = Scenario.Create(name, hours * 60).Describe("twin what-if plan").Rate(0, BasalInput, basalUnitsPerHour, "U/h");
        foreach (var m in meals.OrderBy(m => m.AtMinute))
        {
            if (m.Carbohydrate > 0) builder.Meal(m.AtMinute, m.Carbohydrate);
            if (m.BolusUnits > 0) builder.Bolus(m.AtMinute, BolusInput, m.BolusUnits, "U");
        }
        return builder.Build();
    }
}
