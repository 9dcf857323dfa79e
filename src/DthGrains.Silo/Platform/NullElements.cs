using System.Collections;
using System.Collections.Concurrent;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace DthGrains.Silo.Platform;

/// <summary>
/// Finds a JSON <c>null</c> as an element of a list or map whose elements a bound request declares never null
/// (<c>"ranges": [null]</c>, <c>"factors": [null]</c>). System.Text.Json binds it without complaint (it does not read
/// nullable annotations on collection elements), and the command code after it dereferences the elements: a caller's
/// mistake would end as a 500. One rule for every body, read from the contracts' own annotations. A member left out or
/// null is not refused here: optional members are many, and each command says which it needs (a missing one that must
/// not default is <see cref="System.Text.Json.Serialization.JsonRequiredAttribute"/>).
/// </summary>
public static class NullElements
{
    private static readonly ConcurrentDictionary<Type, Member[]> MembersByType = new();

    /// <summary>The JSON path of the first null element where elements are never null, or null when there is none.</summary>
    public static string? FirstNull(object root) => Walk(root, "$", depth: 0);

    private static string? Walk(object value, string path, int depth)
    {
        // Bodies are at most 32 levels deep (JsonDefaults.MaxDepth); only the platform's own contracts are walked.
        if (depth > 32 || !IsContract(value.GetType())) return null;
        foreach (var member in MembersByType.GetOrAdd(value.GetType(), MembersOf))
        {
            var memberPath = $"{path}.{member.JsonName}";
            var memberValue = member.Property.GetValue(value);
            if (memberValue is null or string) continue;
            if (memberValue is IDictionary map)
            {
                foreach (DictionaryEntry entry in map)
                {
                    var at = $"{memberPath}.{entry.Key}";
                    if (entry.Value is null) { if (member.ElementsNotNull) return at; }
                    else if (Walk(entry.Value, at, depth + 1) is { } inner) return inner;
                }
            }
            else if (memberValue is IEnumerable items)
            {
                var i = 0;
                foreach (var item in items)
                {
                    var at = $"{memberPath}[{i++}]";
                    if (item is null) { if (member.ElementsNotNull) return at; }
                    else if (Walk(item, at, depth + 1) is { } inner) return inner;
                }
            }
            else if (Walk(memberValue, memberPath, depth + 1) is { } inner)
            {
                return inner;
            }
        }
        return null;
    }

    private static bool IsContract(Type type) =>
        type is { IsClass: true, Namespace: { } ns } && ns.StartsWith("DthGrains.", StringComparison.Ordinal) && type != typeof(string);

    private sealed record Member(PropertyInfo Property, string JsonName, bool ElementsNotNull);

    private static Member[] MembersOf(Type type)
    {
        // NullabilityInfoContext is not thread-safe: one per type, and the result is cached.
        var context = new NullabilityInfoContext();
        return type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            // Bound members only (a record's are init-only): a computed one (CredibilityRecord.Level) would run over the nulls.
            .Where(p => p.GetIndexParameters().Length == 0 && p is { GetMethod: not null, SetMethod: not null } && p.GetCustomAttribute<JsonIgnoreAttribute>() is null)
            .Select(p =>
            {
                var info = context.Create(p);
                // An array's element, a list's only type argument, a map's value (its second).
                var element = info.ElementType ?? (info.GenericTypeArguments is { Length: > 0 } arguments ? arguments[^1] : null);
                var name = p.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name ?? JsonNamingPolicy.CamelCase.ConvertName(p.Name);
                return new Member(p, name, element is { } e && !e.Type.IsValueType && e.ReadState == NullabilityState.NotNull);
            })
            .ToArray();
    }
}
