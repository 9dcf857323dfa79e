using DthGrains.Simulation.Units;

namespace DthGrains.Fhir.Mapping;

/// <summary>
/// UCUM codes (and the everyday spellings found in exports) mapped onto the simulation's unit registry, so that every
/// conversion is the registry's and a unit of the wrong dimension is refused, never silently scaled.
/// </summary>
internal static class UcumUnits
{
    private static readonly Dictionary<string, Unit> Known = new(StringComparer.Ordinal)
    {
        ["mmol/L"] = UnitRegistry.MillimolePerLitre, ["mmol/l"] = UnitRegistry.MillimolePerLitre,
        ["mg/dL"] = UnitRegistry.MilligramPerDecilitre, ["mg/dl"] = UnitRegistry.MilligramPerDecilitre,
        ["g"] = UnitRegistry.Gram, ["mg"] = UnitRegistry.Milligram, ["kg"] = UnitRegistry.Kilogram,
        ["[iU]"] = UnitRegistry.InsulinUnit, ["[IU]"] = UnitRegistry.InsulinUnit, ["U"] = UnitRegistry.InsulinUnit, ["IU"] = UnitRegistry.InsulinUnit,
        ["m[iU]"] = UnitRegistry.MilliInsulinUnit, ["m[IU]"] = UnitRegistry.MilliInsulinUnit, ["mU"] = UnitRegistry.MilliInsulinUnit,
        ["[iU]/h"] = UnitRegistry.UnitsPerHour, ["[IU]/h"] = UnitRegistry.UnitsPerHour, ["U/h"] = UnitRegistry.UnitsPerHour, ["IU/h"] = UnitRegistry.UnitsPerHour,
        ["[iU]/min"] = UnitRegistry.UnitsPerMinute, ["[IU]/min"] = UnitRegistry.UnitsPerMinute, ["U/min"] = UnitRegistry.UnitsPerMinute,
        ["m[iU]/min"] = UnitRegistry.MilliUnitsPerMinute, ["m[IU]/min"] = UnitRegistry.MilliUnitsPerMinute, ["mU/min"] = UnitRegistry.MilliUnitsPerMinute,
        ["m[iU]/h"] = UnitRegistry.MilliUnitsPerHour, ["m[IU]/h"] = UnitRegistry.MilliUnitsPerHour, ["mU/h"] = UnitRegistry.MilliUnitsPerHour,
        ["u[IU]/mL"] = UnitRegistry.MicroUnitsPerMillilitre, ["u[iU]/mL"] = UnitRegistry.MicroUnitsPerMillilitre, ["uU/mL"] = UnitRegistry.MicroUnitsPerMillilitre,
        ["m[IU]/L"] = UnitRegistry.MilliUnitsPerLitre, ["m[iU]/L"] = UnitRegistry.MilliUnitsPerLitre, ["mU/L"] = UnitRegistry.MilliUnitsPerLitre,
        ["pmol/L"] = UnitRegistry.PicomolePerLitre,
    };

    /// <summary>Converts <paramref name="value"/> in UCUM <paramref name="code"/> to <paramref name="target"/>; null with a reason when it cannot.</summary>
    public static double? TryConvert(decimal value, string code, Unit target, out string? problem)
    {
        problem = null;
        if (!Known.TryGetValue(code, out var unit))
        {
            problem = $"unknown unit '{code}' (expected {target.Dimension}, e.g. {target.Symbol})";
            return null;
        }
        if (unit.Dimension != target.Dimension)
        {
            problem = $"unit '{code}' measures {unit.Dimension}, not {target.Dimension} ({target.Symbol})";
            return null;
        }
        return unit.ConvertTo((double)value, target);
    }
}
