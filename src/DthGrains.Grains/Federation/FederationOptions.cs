namespace DthGrains.Grains.Federation;

/// <summary>Who this silo is in the federation: its institution and its role (<c>data</c> or <c>hpc</c>).</summary>
public sealed class FederationOptions
{
    public string Institution { get; set; } = "";

    public string Role { get; set; } = "data";
}
