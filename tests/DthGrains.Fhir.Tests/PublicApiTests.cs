using System.Reflection;
using DthGrains.Fhir.Datasets;

namespace DthGrains.Fhir.Tests;

/// <summary>FHIR stays at the edge: nothing public in DthGrains.Fhir exposes an Hl7.Fhir type (CONVENTIONS 13).</summary>
public sealed class PublicApiTests
{
    private static IEnumerable<Type> Exposed(Type t)
    {
        const BindingFlags flags = BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        if (t.BaseType is { } b) yield return b;
        foreach (var i in t.GetInterfaces()) yield return i;
        foreach (var p in t.GetProperties(flags)) yield return p.PropertyType;
        foreach (var f in t.GetFields(flags)) yield return f.FieldType;
        foreach (var m in t.GetMethods(flags))
        {
            yield return m.ReturnType;
            foreach (var p in m.GetParameters()) yield return p.ParameterType;
        }
        foreach (var c in t.GetConstructors()) foreach (var p in c.GetParameters()) yield return p.ParameterType;
    }

    private static IEnumerable<Type> Flatten(Type t) =>
        t.IsGenericType ? t.GetGenericArguments().SelectMany(Flatten).Prepend(t) : t.HasElementType ? Flatten(t.GetElementType()!).Prepend(t) : [t];

    [Fact]
    public void No_public_member_exposes_an_hl7_fhir_type()
    {
        var leaks = typeof(DatasetBundleReader).Assembly.GetExportedTypes()
            .SelectMany(t => Exposed(t).SelectMany(Flatten).Select(x => (Owner: t, Exposed: x)))
            .Where(x => x.Exposed.Namespace?.StartsWith("Hl7", StringComparison.Ordinal) == true)
            .Select(x => $"{x.Owner.Name} exposes {x.Exposed.FullName}")
            .Distinct()
            .ToList();
        leaks.Should().BeEmpty();
    }
}
