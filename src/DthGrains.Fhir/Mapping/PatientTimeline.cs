using DthGrains.Simulation.Calibration;
using DthGrains.Simulation.Scenarios;

namespace DthGrains.Fhir.Mapping;

/// <summary>A value at an instant, in the unit its list states.</summary>
public sealed record TimedValue(DateTimeOffset Time, double Value);

/// <summary>An insulin rate (U/h) from <see cref="Start"/> until <see cref="End"/> (open: until the next rate).</summary>
public sealed record InsulinRate(DateTimeOffset Start, DateTimeOffset? End, double UnitsPerHour);

/// <summary>
/// One patient's FHIR data as a model sees it: calibration targets (glucose in the model's unit, plasma insulin in
/// mU/L), inputs (carbohydrate in g, insulin boluses in U, basal rates in U/h), the body weight covariate, and the
/// report of what could not be mapped. Identity never enters it: only the dataset subject's pseudonym.
/// </summary>
public sealed record PatientTimeline(
    string SubjectPseudonym,
    string ModelId,
    string ModelVersion,
    string GlucoseOutput,
    string GlucoseUnit,
    IReadOnlyList<TimedValue> Glucose,
    IReadOnlyList<TimedValue> PlasmaInsulin,
    IReadOnlyList<TimedValue> Carbohydrates,
    IReadOnlyList<TimedValue> InsulinBoluses,
    IReadOnlyList<InsulinRate> BasalRates,
    double? BodyWeightKg,
    MappingReport Report)
{
    /// <summary>Unit of <see cref="PlasmaInsulin"/>.</summary>
    public const string PlasmaInsulinUnit = "mU/L";

    /// <summary>Time zero of the model: the earliest instant in the data (null when there is none).</summary>
    public DateTimeOffset? Origin => AllTimes().Select(t => (DateTimeOffset?)t).Min();

    /// <summary>The last instant in the data.</summary>
    public DateTimeOffset? End => AllTimes().Select(t => (DateTimeOffset?)t).Max();

    /// <summary>Minutes from <see cref="Origin"/> (the glucose models' time unit).</summary>
    public double MinutesFromOrigin(DateTimeOffset time) =>
        (time - (Origin ?? throw new UnusableDataException("The timeline has no data."))).TotalMinutes;

    /// <summary>
    /// The inputs as a simulation scenario over [Origin, End] in minutes: basal rates as rate events (a rate that ends
    /// with nothing after it drops to zero), boluses and meals as bolus events. Without any basal rate the model's default
    /// basal applies (the report says so). Refused while the report has errors.
    /// </summary>
    public Scenario ToScenario(string name = "patient-data")
    {
        RequireUsable();
        var origin = Origin!.Value; // computed once: Origin walks every list
        double Minutes(DateTimeOffset t) => (t - origin).TotalMinutes;
        double duration = Minutes(End!.Value);
        if (!(duration > 0)) throw new UnusableDataException("The timeline spans no time.");
        var map = ModelMappings.For(ModelId)!;
        var builder = Scenario.Create(name, duration).Describe($"Inputs of {SubjectPseudonym} mapped from FHIR");
        var starts = BasalRates.Select(r => Minutes(r.Start)).ToHashSet();
        foreach (var r in BasalRates.OrderBy(r => r.Start))
        {
            builder.Rate(Minutes(r.Start), map.RateInput, r.UnitsPerHour, "U/h");
            if (r.End is { } end && Minutes(end) is var e && e < duration && !starts.Contains(e))
                builder.Rate(e, map.RateInput, 0, "U/h");
        }
        foreach (var b in InsulinBoluses) builder.Bolus(Minutes(b.Time), map.BolusInput, b.Value, "U");
        foreach (var m in Carbohydrates) builder.Bolus(Minutes(m.Time), map.MealInput, m.Value, "g");
        return builder.Build();
    }

    /// <summary>The glucose calibration target: times in minutes from <see cref="Origin"/>, values in <see cref="GlucoseUnit"/>.</summary>
    public Observations GlucoseObservations()
    {
        RequireUsable();
        var origin = Origin!.Value;
        return new Observations(GlucoseOutput, Glucose.Select(g => (g.Time - origin).TotalMinutes).ToArray(), Glucose.Select(g => g.Value).ToArray());
    }

    /// <summary>Model parameters the data fixes (body weight), to override the defaults before calibration.</summary>
    public IReadOnlyDictionary<string, double> Covariates() =>
        BodyWeightKg is { } w ? new Dictionary<string, double> { ["BW"] = w } : new Dictionary<string, double>();

    private void RequireUsable()
    {
        if (!Report.IsSuccess)
            throw new UnusableDataException($"The FHIR data of {SubjectPseudonym} did not map cleanly: {string.Join("; ", Report.Errors.Select(e => e.Message))}");
    }

    private IEnumerable<DateTimeOffset> AllTimes() =>
        Glucose.Select(g => g.Time).Concat(PlasmaInsulin.Select(p => p.Time)).Concat(Carbohydrates.Select(c => c.Time))
            .Concat(InsulinBoluses.Select(b => b.Time)).Concat(BasalRates.Select(r => r.Start))
            .Concat(BasalRates.Where(r => r.End is not null).Select(r => r.End!.Value));
}
