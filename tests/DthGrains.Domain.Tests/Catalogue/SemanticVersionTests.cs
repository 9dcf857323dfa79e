using DthGrains.Domain.Catalogue;

namespace DthGrains.Domain.Tests.Catalogue;

/// <summary>Parsing and precedence after semver.org 2.0.0 (build metadata is not allowed in the catalogue).</summary>
public sealed class SemanticVersionTests
{
    private static SemanticVersion Parse(string text)
    {
        SemanticVersion.TryParse(text, out var v).Should().BeTrue($"'{text}' is a semantic version");
        return v;
    }

    [Theory]
    [InlineData("0.0.0", 0, 0, 0, null)]
    [InlineData("1.2.3", 1, 2, 3, null)]
    [InlineData("10.20.30", 10, 20, 30, null)]
    [InlineData("1.0.0-alpha", 1, 0, 0, "alpha")]
    [InlineData("1.0.0-rc.1", 1, 0, 0, "rc.1")]
    [InlineData("1.0.0-x-y-z.--", 1, 0, 0, "x-y-z.--")]
    [InlineData("1.0.0-0.3.7", 1, 0, 0, "0.3.7")]
    [InlineData("999999999.0.0", 999999999, 0, 0, null)]
    public void Valid_versions_parse_into_their_parts_and_print_back(string text, int major, int minor, int patch, string? pre)
    {
        var v = Parse(text);
        v.Should().Be(new SemanticVersion(major, minor, patch, pre));
        v.ToString().Should().Be(text);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("1")]
    [InlineData("1.2")]
    [InlineData("1.2.3.4")]
    [InlineData("v1.2.3")]
    [InlineData(" 1.2.3")]
    [InlineData("1.2.3 ")]
    [InlineData("01.2.3")]
    [InlineData("1.02.3")]
    [InlineData("1.2.03")]
    [InlineData("-1.2.3")]
    [InlineData("1.2.3-")]
    [InlineData("1.2.3-alpha..1")]
    [InlineData("1.2.3-alpha_1")]
    [InlineData("1.2.3+build.7")]
    [InlineData("1.2.3-rc.1+build.7")]
    [InlineData("1234567890.0.0")]
    public void Invalid_versions_are_refused(string? text)
    {
        SemanticVersion.TryParse(text, out _).Should().BeFalse();
    }

    [Fact]
    public void Versions_longer_than_64_characters_are_refused()
    {
        SemanticVersion.TryParse("1.0.0-" + new string('a', 58), out _).Should().BeTrue();
        SemanticVersion.TryParse("1.0.0-" + new string('a', 59), out _).Should().BeFalse();
    }

    /// <summary>The precedence example of semver.org §11, each strictly lower than the next.</summary>
    [Theory]
    [InlineData("1.0.0", "2.0.0")]
    [InlineData("2.0.0", "2.1.0")]
    [InlineData("2.1.0", "2.1.1")]
    [InlineData("1.0.0-alpha", "1.0.0")]
    [InlineData("1.0.0-alpha", "1.0.0-alpha.1")]
    [InlineData("1.0.0-alpha.1", "1.0.0-alpha.beta")]
    [InlineData("1.0.0-alpha.beta", "1.0.0-beta")]
    [InlineData("1.0.0-beta", "1.0.0-beta.2")]
    [InlineData("1.0.0-beta.2", "1.0.0-beta.11")]
    [InlineData("1.0.0-beta.11", "1.0.0-rc.1")]
    [InlineData("1.0.0-rc.1", "1.0.0")]
    [InlineData("1.9.0", "1.10.0")]
    [InlineData("1.0.0-rc.9", "1.0.0-rc.10")]
    [InlineData("1.0.0-1", "1.0.0-alpha")]
    [InlineData("1.0.0-Z", "1.0.0-a")]
    [InlineData("1.0.0", "1.0.1-alpha")]
    public void Precedence_follows_semver(string lower, string higher)
    {
        Parse(lower).CompareTo(Parse(higher)).Should().BeNegative();
        Parse(higher).CompareTo(Parse(lower)).Should().BePositive();
    }

    [Fact]
    public void The_whole_semver_example_sorts_into_its_order()
    {
        string[] ordered = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "2.0.0", "2.1.0", "2.1.1"];
        string[] shuffled = ["1.0.0-rc.1", "2.1.1", "1.0.0-alpha.beta", "1.0.0", "1.0.0-beta.11", "1.0.0-alpha", "2.0.0", "1.0.0-beta.2", "2.1.0", "1.0.0-alpha.1", "1.0.0-beta"];
        shuffled.Select(Parse).Order().Select(v => v.ToString()).Should().Equal(ordered);
        ordered.Select(Parse).Max()!.ToString().Should().Be("2.1.1");
    }

    [Fact]
    public void Equal_versions_compare_equal_and_anything_is_above_null()
    {
        Parse("1.2.3-rc.1").CompareTo(Parse("1.2.3-rc.1")).Should().Be(0);
        Parse("1.2.3").CompareTo(Parse("1.2.3")).Should().Be(0);
        Parse("0.0.0").CompareTo(null).Should().BePositive();
    }
}
