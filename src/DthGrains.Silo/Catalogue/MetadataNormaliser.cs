using DthGrains.Contracts.Catalogue;

namespace DthGrains.Silo.Catalogue;

/// <summary>Absent optional lists arrive as null from JSON; the domain works with empty lists.</summary>
public static class MetadataNormaliser
{
    public static ResourceMetadata Normalise(ResourceMetadata m) => m with
    {
        Keywords = m.Keywords ?? [],
        Themes = m.Themes ?? [],
        HealthCategories = m.HealthCategories ?? [],
        CodingSystems = m.CodingSystems ?? [],
        ApplicableLegislation = m.ApplicableLegislation ?? [],
        ConformsTo = m.ConformsTo ?? [],
    };
}
