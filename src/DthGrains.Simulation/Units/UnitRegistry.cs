namespace DthGrains.Simulation.Units;

/// <summary>
/// The units the model library and scenarios use. Glucose simulator users most often report mg vs g and
/// U/min vs U/h mix-ups, so those dimensions are explicit and a wrong one is an exception, never a silent factor.
/// </summary>
public static class UnitRegistry
{
    /// <summary>Molar mass of glucose, g/mol: 1 mmol/L = 18.0156 mg/dL.</summary>
    public const double GlucoseMolarMass = 180.156;

    private static readonly Dictionary<string, Unit> Known = new(StringComparer.Ordinal);

    public static readonly Unit Milligram = Add("mg", "mass", 1e-3);
    public static readonly Unit Gram = Add("g", "mass", 1);
    public static readonly Unit Kilogram = Add("kg", "mass", 1e3);
    public static readonly Unit Millimole = Add("mmol", "amount of substance", 1);

    public static readonly Unit InsulinUnit = Add("U", "insulin amount", 1);
    public static readonly Unit MilliInsulinUnit = Add("mU", "insulin amount", 1e-3);

    public static readonly Unit UnitsPerMinute = Add("U/min", "insulin rate", 1);
    public static readonly Unit UnitsPerHour = Add("U/h", "insulin rate", 1.0 / 60);
    public static readonly Unit MilliUnitsPerMinute = Add("mU/min", "insulin rate", 1e-3);
    public static readonly Unit MilliUnitsPerHour = Add("mU/h", "insulin rate", 1e-3 / 60);

    public static readonly Unit MilligramPerMinute = Add("mg/min", "mass rate", 1);
    public static readonly Unit MilligramPerHour = Add("mg/h", "mass rate", 1.0 / 60);
    public static readonly Unit GramPerHour = Add("g/h", "mass rate", 1000.0 / 60);
    public static readonly Unit GramPerMinute = Add("g/min", "mass rate", 1000);

    public static readonly Unit MillimolePerLitre = Add("mmol/L", "glucose concentration", 1);
    public static readonly Unit MilligramPerDecilitre = Add("mg/dL", "glucose concentration", 10.0 / GlucoseMolarMass);

    // Insulin concentration: 1 µU/mL = 1 mU/L; 1 µU/mL ≈ 6 pmol/L (the conventional factor).
    public static readonly Unit MilliUnitsPerLitre = Add("mU/L", "insulin concentration", 1);
    public static readonly Unit MicroUnitsPerMillilitre = Add("µU/mL", "insulin concentration", 1);
    public static readonly Unit PicomolePerLitre = Add("pmol/L", "insulin concentration", 1.0 / 6);

    public static readonly Unit Second = Add("s", "time", 1.0 / 60);
    public static readonly Unit Minute = Add("min", "time", 1);
    public static readonly Unit Hour = Add("h", "time", 60);
    public static readonly Unit Day = Add("d", "time", 1440);

    public static readonly Unit PerMinute = Add("1/min", "frequency", 1);
    public static readonly Unit PerHour = Add("1/h", "frequency", 1.0 / 60);
    public static readonly Unit PerSecond = Add("1/s", "frequency", 60);
    public static readonly Unit BeatsPerMinute = Add("bpm", "frequency", 1);

    public static readonly Unit Millilitre = Add("mL", "volume", 1e-3);
    public static readonly Unit Decilitre = Add("dL", "volume", 0.1);
    public static readonly Unit Litre = Add("L", "volume", 1);

    public static readonly Unit MillimetreMercury = Add("mmHg", "pressure", 1);
    public static readonly Unit MillilitrePerSecond = Add("mL/s", "volume flow", 1);
    public static readonly Unit LitrePerMinute = Add("L/min", "volume flow", 1000.0 / 60);
    public static readonly Unit LitrePerHour = Add("L/h", "volume flow", 1000.0 / 3600);

    public static readonly Unit MilligramPerLitre = Add("mg/L", "drug concentration", 1);
    public static readonly Unit MicrogramPerMillilitre = Add("µg/mL", "drug concentration", 1);
    public static readonly Unit NanogramPerMillilitre = Add("ng/mL", "drug concentration", 1e-3);

    public static readonly Unit Dimensionless = Add("1", "dimensionless", 1);
    public static readonly Unit Percent = Add("%", "dimensionless", 0.01);

    private static readonly Dictionary<string, string> Aliases = new(StringComparer.Ordinal)
    {
        ["uU/mL"] = "µU/mL", ["ug/mL"] = "µg/mL", ["mmol/l"] = "mmol/L", ["mg/dl"] = "mg/dL", ["IU"] = "U",
        ["min^-1"] = "1/min", ["h^-1"] = "1/h", ["hr"] = "h", ["sec"] = "s",
    };

    private static Unit Add(string symbol, string dimension, double toBase)
    {
        var u = new Unit(symbol, dimension, toBase);
        Known[symbol] = u;
        return u;
    }

    /// <summary>Looks up a known unit symbol; unknown symbols are an error listing what is known for guidance.</summary>
    public static Unit Parse(string symbol)
    {
        ArgumentNullException.ThrowIfNull(symbol);
        var s = symbol.Trim();
        if (Aliases.TryGetValue(s, out var alias)) s = alias;
        if (Known.TryGetValue(s, out var unit)) return unit;
        throw new ArgumentException($"Unknown unit '{symbol}'. Known units: {string.Join(", ", Known.Keys)}.", nameof(symbol));
    }

    /// <summary>
    /// A descriptive unit for compound parameter units (for example "mL/kg/min") that are documented but never converted:
    /// its dimension is its own symbol, so it converts only to itself.
    /// </summary>
    public static Unit Descriptive(string symbol) => Known.TryGetValue(symbol, out var u) ? u : new Unit(symbol, symbol, 1);
}
