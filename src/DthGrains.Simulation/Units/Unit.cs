namespace DthGrains.Simulation.Units;

/// <summary>
/// A unit of measure: a symbol, the physical dimension it measures, and its factor to the dimension's base unit.
/// Conversion is allowed only within a dimension, so "U/h" can become "mU/min" but never "g".
/// </summary>
/// <param name="Symbol">Printed symbol, e.g. "U/h".</param>
/// <param name="Dimension">What it measures, e.g. "insulin rate"; units convert only within one dimension.</param>
/// <param name="ToBase">Multiply a value in this unit by this factor to get the dimension's base unit.</param>
public sealed record Unit(string Symbol, string Dimension, double ToBase)
{
    /// <summary>Converts <paramref name="value"/> from this unit to <paramref name="target"/>; throws on a dimension mismatch.</summary>
    public double ConvertTo(double value, Unit target)
    {
        if (Dimension != target.Dimension)
            throw new UnitMismatchException(
                $"Cannot convert {value} {Symbol} ({Dimension}) to {target.Symbol} ({target.Dimension}).", target, this);
        return ReferenceEquals(this, target) || ToBase == target.ToBase ? value : value * ToBase / target.ToBase;
    }

    /// <inheritdoc />
    public override string ToString() => Symbol;
}

/// <summary>A value with its unit.</summary>
public readonly record struct Quantity(double Value, Unit Unit)
{
    /// <summary>Creates a quantity from a unit symbol known to <see cref="UnitRegistry"/>.</summary>
    public static Quantity Of(double value, string unit) => new(value, UnitRegistry.Parse(unit));

    /// <summary>The value expressed in <paramref name="target"/>.</summary>
    public double In(Unit target) => Unit.ConvertTo(Value, target);

    /// <inheritdoc />
    public override string ToString() => FormattableString.Invariant($"{Value} {Unit.Symbol}");
}

/// <summary>A unit that does not fit where it was used: the message says what was expected and what was given.</summary>
public sealed class UnitMismatchException(string message, Unit expected, Unit actual) : ArgumentException(message)
{
    /// <summary>The unit (and so the dimension) that was expected.</summary>
    public Unit Expected { get; } = expected;

    /// <summary>The unit that was given.</summary>
    public Unit Actual { get; } = actual;
}
