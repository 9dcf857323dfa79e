using System.Text.Json;

namespace DthGrains.Domain.Platform;

/// <summary>
/// Value equality for records that hold arrays (record equality compares arrays by reference): two values are the
/// same when they serialise to the same JSON. Used to recognise idempotent repeats, which append nothing.
/// </summary>
public static class Structural
{
    private static readonly JsonSerializerOptions Options = new();

    public static bool Same<T>(T? a, T? b) =>
        ReferenceEquals(a, b) || (a is not null && b is not null && JsonSerializer.Serialize(a, Options) == JsonSerializer.Serialize(b, Options));
}
