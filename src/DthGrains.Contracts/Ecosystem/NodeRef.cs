using DthGrains.Contracts.Platform;

namespace DthGrains.Contracts.Ecosystem;

/// <summary>A node of the ecosystem map, written <c>kind:id</c> on the wire (for example <c>organisation:charite</c>).</summary>
[GenerateSerializer, Immutable, Alias("dth.ecosystem.node-ref")]
public sealed record NodeRef([property: Id(0)] NodeKind Kind, [property: Id(1)] string Id)
{
    public override string ToString() => $"{KindName(Kind)}:{Id}";

    public static string KindName(NodeKind kind) => kind switch
    {
        NodeKind.Organisation => "organisation",
        NodeKind.Person => "person",
        NodeKind.Initiative => "initiative",
        NodeKind.Silo => "silo",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>Parses <c>kind:id</c>; the id must pass the one id allow-list.</summary>
    public static bool TryParse(string? text, out NodeRef node)
    {
        node = null!;
        if (text is null) return false;
        var colon = text.IndexOf(':');
        if (colon <= 0) return false;
        NodeKind? kind = text[..colon] switch
        {
            "organisation" => NodeKind.Organisation,
            "person" => NodeKind.Person,
            "initiative" => NodeKind.Initiative,
            _ => null,
        };
        var id = text[(colon + 1)..];
        if (kind is null || !Ids.IsValid(id)) return false;
        node = new NodeRef(kind.Value, id);
        return true;
    }
}
