namespace DthGrains.Grains.Federation;

/// <summary>Who this silo is in the federation: its institution and its role (<c>data</c> or <c>hpc</c>).</summary>
public sealed class FederationOptions
{
    public string Institution { get; set; } = "";

    public string Role { get; set; } = "data";

    /// <summary>Further institutions whose data this silo may hold (the standalone demo plays several).</summary>
    public string[] AlsoHosts { get; set; } = [];

    /// <summary>Every institution whose datasets may live on this silo.</summary>
    public IEnumerable<string> Institutions => new[] { Institution }.Concat(AlsoHosts).Distinct();
}
