using DthGrains.Contracts.Catalogue;
using DthGrains.Contracts.Platform;
using DthGrains.Domain.Catalogue;

namespace DthGrains.Domain.Tests.Catalogue;

/// <summary>Who sees a catalogue entry and who changes it.</summary>
public sealed class CatalogueAccessTests
{
    private static Actor As(string? institution, params string[] roles) => new($"{string.Join('+', roles)}@{institution}", "Someone", institution, [.. roles]);

    public static TheoryData<ResourceStatus> Visible => new() { ResourceStatus.Published, ResourceStatus.Deprecated, ResourceStatus.Withdrawn };

    [Theory]
    [MemberData(nameof(Visible))]
    public void Published_deprecated_and_withdrawn_metadata_is_visible_to_every_authenticated_user(ResourceStatus status)
    {
        CatalogueAccess.MaySee(As("inria", Roles.Researcher), status, "charite").Should().BeTrue();
        CatalogueAccess.MaySee(As(null), status, "charite").Should().BeTrue();
        CatalogueAccess.MaySee(As("tum", Roles.Steward), status, "charite").Should().BeTrue();
    }

    [Theory]
    [InlineData(Roles.Researcher)]
    [InlineData(Roles.Steward)]
    [InlineData(Roles.Modeller)]
    [InlineData(Roles.InstitutionAdmin)]
    public void A_draft_is_visible_to_members_of_its_publisher(string role)
    {
        CatalogueAccess.MaySee(As("charite", role), ResourceStatus.Draft, "charite").Should().BeTrue();
    }

    [Theory]
    [InlineData(Roles.PlatformAdmin)]
    [InlineData(Roles.Auditor)]
    public void A_draft_is_visible_to_platform_admins_and_auditors_of_any_institution(string role)
    {
        CatalogueAccess.MaySee(As("inria", role), ResourceStatus.Draft, "charite").Should().BeTrue();
        CatalogueAccess.MaySee(As(null, role), ResourceStatus.Draft, "charite").Should().BeTrue();
    }

    [Theory]
    [InlineData("inria", Roles.Researcher)]
    [InlineData("inria", Roles.InstitutionAdmin)]
    [InlineData("inria", Roles.Steward)]
    [InlineData("inria", Roles.Modeller)]
    [InlineData(null, Roles.Researcher)]
    [InlineData(null, Roles.InstitutionAdmin)]
    public void A_draft_is_invisible_to_everyone_else(string? institution, string role)
    {
        CatalogueAccess.MaySee(As(institution, role), ResourceStatus.Draft, "charite").Should().BeFalse();
    }

    [Fact]
    public void An_actor_without_roles_sees_no_other_institution_s_draft()
    {
        CatalogueAccess.MaySee(new Actor("anon", "Anon", "inria", default), ResourceStatus.Draft, "charite").Should().BeFalse();
    }

    [Fact]
    public void Stewards_change_datasets_only()
    {
        var steward = As("charite", Roles.Steward);
        CatalogueAccess.MayChange(steward, ResourceKind.Dataset, "charite").Should().BeNull();
        foreach (var kind in new[] { ResourceKind.Model, ResourceKind.Method, ResourceKind.Twin })
            CatalogueAccess.MayChange(steward, kind, "charite")!.Kind.Should().Be(ProblemKind.Forbidden);
    }

    [Fact]
    public void Modellers_change_models_methods_and_twins_only()
    {
        var modeller = As("charite", Roles.Modeller);
        foreach (var kind in new[] { ResourceKind.Model, ResourceKind.Method, ResourceKind.Twin })
            CatalogueAccess.MayChange(modeller, kind, "charite").Should().BeNull();
        CatalogueAccess.MayChange(modeller, ResourceKind.Dataset, "charite")!.Kind.Should().Be(ProblemKind.Forbidden);
    }

    [Fact]
    public void Institution_admins_change_every_kind_of_their_institution()
    {
        foreach (var kind in Enum.GetValues<ResourceKind>())
            CatalogueAccess.MayChange(As("charite", Roles.InstitutionAdmin), kind, "charite").Should().BeNull();
    }

    [Theory]
    [InlineData(Roles.Researcher)]
    [InlineData(Roles.Auditor)]
    public void Other_roles_of_the_publisher_change_nothing(string role)
    {
        foreach (var kind in Enum.GetValues<ResourceKind>())
            CatalogueAccess.MayChange(As("charite", role), kind, "charite")!.Kind.Should().Be(ProblemKind.Forbidden);
    }

    [Theory]
    [InlineData(Roles.InstitutionAdmin)]
    [InlineData(Roles.Steward)]
    [InlineData(Roles.Modeller)]
    [InlineData(Roles.PlatformAdmin)]
    public void Other_institutions_never_change_a_resource(string role)
    {
        foreach (var kind in Enum.GetValues<ResourceKind>())
        {
            var problem = CatalogueAccess.MayChange(As("inria", role, Roles.InstitutionAdmin), kind, "charite");
            problem!.Kind.Should().Be(ProblemKind.Forbidden);
            problem.Detail.Should().Contain("charite");
            CatalogueAccess.MayChange(As(null, role), kind, "charite")!.Kind.Should().Be(ProblemKind.Forbidden);
        }
    }

    [Fact]
    public void The_platform_itself_changes_anything()
    {
        foreach (var kind in Enum.GetValues<ResourceKind>())
            CatalogueAccess.MayChange(Actor.System("tum"), kind, "charite").Should().BeNull();
    }

    [Fact]
    public void Drafting_needs_an_institution_and_the_right_role_for_the_kind()
    {
        CatalogueAccess.MayDraft(As(null, Roles.InstitutionAdmin), ResourceKind.Model)!.Kind.Should().Be(ProblemKind.Forbidden);
        CatalogueAccess.MayDraft(As("charite", Roles.Modeller), ResourceKind.Model).Should().BeNull();
        CatalogueAccess.MayDraft(As("charite", Roles.Modeller), ResourceKind.Dataset)!.Kind.Should().Be(ProblemKind.Forbidden);
        CatalogueAccess.MayDraft(As("charite", Roles.Steward), ResourceKind.Dataset).Should().BeNull();
        CatalogueAccess.MayDraft(As("charite", Roles.Steward), ResourceKind.Twin)!.Kind.Should().Be(ProblemKind.Forbidden);
        CatalogueAccess.MayDraft(As("charite", Roles.InstitutionAdmin), ResourceKind.Dataset).Should().BeNull();
        CatalogueAccess.MayDraft(As("charite", Roles.Researcher), ResourceKind.Model)!.Kind.Should().Be(ProblemKind.Forbidden);
    }
}
