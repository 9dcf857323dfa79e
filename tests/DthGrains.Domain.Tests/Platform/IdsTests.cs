using DthGrains.Contracts.Ecosystem;
using DthGrains.Contracts.Platform;

namespace DthGrains.Domain.Tests.Platform;

public sealed class IdsTests
{
    [Theory]
    [InlineData("charite")]
    [InlineData("dth-oversight")]
    [InlineData("a1")]
    [InlineData("3f2504e0-4f89-11d3-9a0c-0305e82c3301")]
    public void Slugs_and_guids_are_valid(string id) => Ids.IsValid(id).Should().BeTrue();

    [Theory]
    [InlineData("")]
    [InlineData("a")]
    [InlineData("../etc")]
    [InlineData("%2e%2e%2f")]
    [InlineData("a\0b")]
    [InlineData("Charite")]
    [InlineData("chаrite")] // Cyrillic 'а': a confusable character
    [InlineData("-lead")]
    [InlineData("trail-")]
    [InlineData("dou--ble")]
    [InlineData("with space")]
    [InlineData("ü-umlaut")]
    public void Anything_else_is_refused(string id) => Ids.IsValid(id).Should().BeFalse();

    [Fact]
    public void Over_long_ids_are_refused() => Ids.IsValid(new string('a', 65)).Should().BeFalse();

    [Theory]
    [InlineData("Charité – Universitätsmedizin Berlin", "charite-universitatsmedizin-berlin")]
    [InlineData("Charité ICU glucose 2026", "charite-icu-glucose-2026")]
    [InlineData("Straße Ørsted Łódź Æther", "strasse-orsted-lodz-aether")]
    [InlineData("Hôpital Européen Georges-Pompidou", "hopital-europeen-georges-pompidou")]
    [InlineData("  MedTwin Labs!! ", "medtwin-labs")]
    public void Slugify_makes_valid_ids(string name, string slug)
    {
        Ids.Slugify(name).Should().Be(slug);
        Ids.IsValid(Ids.Slugify(name)).Should().BeTrue();
    }

    [Theory]
    [InlineData("organisation:charite", NodeKind.Organisation, "charite")]
    [InlineData("person:alice-steward", NodeKind.Person, "alice-steward")]
    public void Node_references_parse(string text, NodeKind kind, string id)
    {
        NodeRef.TryParse(text, out var node).Should().BeTrue();
        node.Should().Be(new NodeRef(kind, id));
        node.ToString().Should().Be(text);
    }

    [Theory]
    [InlineData("silo:s-1")]
    [InlineData("organisation:../x")]
    [InlineData("charite")]
    [InlineData(":charite")]
    public void Bad_node_references_do_not_parse(string text) => NodeRef.TryParse(text, out _).Should().BeFalse();
}
