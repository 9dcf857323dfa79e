using System.Text.Json;

namespace DthGrains.Silo.Platform;

/// <summary>The wire name of an enum value (kebab-case), for places that write text rather than JSON.</summary>
public static class JsonNames
{
    public static string Of<TEnum>(TEnum value) where TEnum : struct, Enum =>
        JsonSerializer.Serialize(value, JsonDefaults.Options).Trim('"');
}
