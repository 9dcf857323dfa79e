using DthGrains.Contracts.Catalogue;
using DthGrains.Contracts.Platform;
using DthGrains.Domain.Catalogue;
using DthGrains.Domain.Platform;

namespace DthGrains.Domain.Tests.Catalogue;

/// <summary>Resources in known states, built only through the decide functions and the fold.</summary>
internal static class Given
{
    public static readonly DateTimeOffset Now = new(2026, 11, 25, 10, 0, 0, TimeSpan.Zero);

    public static ResourceMetadata Metadata(string title = "Hovorka 2004 type 1 diabetes model") => new(
        title, "Glucose and insulin in type 1 diabetes.", ["glucose", "insulin"], ["HEAL"], ["metabolic"], ["LOINC"],
        new ContactPoint("Modelling desk", "models@example.org"), "Apache-2.0", AccessRights.Public, [], ["SBML"]);

    public static VersionRelease Release(string version, string notes = "A release.", string checksum = "sha256:abc") => new(version, notes, checksum);

    public static DatasetFacts Facts(int patients = 2) =>
        new(new Dictionary<string, int> { ["Patient"] = patients, ["Observation"] = 3 * patients }, patients, 1024);

    public static ResourceState Apply(ResourceState s, Decision d)
    {
        d.Problem.Should().BeNull();
        return d.Events.Aggregate(s, ResourceState.Evolve);
    }

    public static ResourceState Draft(ResourceKind kind = ResourceKind.Model, string id = "hovorka-2004", string publisher = "charite") =>
        Apply(ResourceState.Initial(id), CatalogueDecisions.Draft(ResourceState.Initial(id), kind, Metadata(), publisher, Now));

    public static ResourceState Released(ResourceKind kind = ResourceKind.Model, params string[] versions)
    {
        var s = Draft(kind);
        foreach (var v in versions.Length == 0 ? ["1.0.0"] : versions)
            s = Apply(s, CatalogueDecisions.Release(s, Release(v), kind == ResourceKind.Dataset ? Facts() : null, Now));
        return s;
    }

    public static ResourceState Published(ResourceKind kind = ResourceKind.Model) =>
        Apply(Released(kind), CatalogueDecisions.Publish(Released(kind), Now));

    public static ResourceState Deprecated() => Apply(Published(), CatalogueDecisions.Deprecate(Published(), "Superseded by 2.0.0.", Now));

    public static ResourceState Withdrawn() => Apply(Published(), CatalogueDecisions.Withdraw(Published(), "Wrong parameters.", Now));

    public static Problem Refused(Decision d, ProblemKind kind)
    {
        d.Events.Should().BeEmpty();
        d.Problem.Should().NotBeNull();
        d.Problem!.Kind.Should().Be(kind);
        return d.Problem;
    }
}
