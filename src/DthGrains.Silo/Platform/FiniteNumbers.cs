using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace DthGrains.Silo.Platform;

/// <summary>
/// Numbers read from a request body are finite. JSON has no infinity, but a number too large for a double (1e400)
/// reads as one, passes checks written for real numbers (an infinite tolerance, an infinite step), and then cannot be
/// written back: the append of the event that records it failed, a 500 for a caller's mistake. Refused where it is read.
/// </summary>
public sealed class FiniteNumbers : JsonConverter<double>
{
    /// <summary>Follows the member's path in the problem, as <see cref="StorableText.NulMessage"/> does.</summary>
    public const string Message = "is out of range: numbers are finite, at most about 1.8e308 in magnitude";

    public override double Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        double value;
        if (reader.TokenType == JsonTokenType.Number) value = reader.GetDouble();
        // The web defaults read numbers written as strings; the same rule holds for them.
        else if (reader.TokenType == JsonTokenType.String && options.NumberHandling.HasFlag(JsonNumberHandling.AllowReadingFromString)
            && double.TryParse(reader.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed)) value = parsed;
        else throw new JsonException($"Expected a number, found {reader.TokenType}.");
        return double.IsFinite(value) ? value : throw new JsonException(Message);
    }

    public override void Write(Utf8JsonWriter writer, double value, JsonSerializerOptions options) => writer.WriteNumberValue(value);
}
