namespace DthGrains.Fhir.Datasets;

/// <summary>
/// Limits checked before the full FHIR parse, by streaming over the bytes: a bundle over any of them is refused with 413
/// before it costs more than a small buffer (seekable streams) or the bytes read so far (other streams).
/// </summary>
/// <param name="MaxBytes">Largest accepted payload in bytes.</param>
/// <param name="MaxEntries">Most entries in <c>Bundle.entry</c>.</param>
/// <param name="MaxDepth">Deepest JSON nesting (objects and arrays) accepted; FHIR resources need about 10.</param>
public sealed record DatasetBundleLimits(long MaxBytes = DatasetBundleLimits.DefaultMaxBytes, int MaxEntries = DatasetBundleLimits.DefaultMaxEntries, int MaxDepth = DatasetBundleLimits.DefaultMaxDepth)
{
    public const long DefaultMaxBytes = 64L * 1024 * 1024;
    public const int DefaultMaxEntries = 50_000;
    public const int DefaultMaxDepth = 32;

    /// <summary>64 MiB, 50,000 entries, depth 32.</summary>
    public static DatasetBundleLimits Default { get; } = new();

    internal void Validate()
    {
        if (MaxBytes <= 0 || MaxBytes > Array.MaxLength) throw new ArgumentOutOfRangeException(nameof(MaxBytes), MaxBytes, $"MaxBytes must be in [1, {Array.MaxLength}].");
        if (MaxEntries <= 0) throw new ArgumentOutOfRangeException(nameof(MaxEntries), MaxEntries, "MaxEntries must be positive.");
        if (MaxDepth < 4 || MaxDepth > 256) throw new ArgumentOutOfRangeException(nameof(MaxDepth), MaxDepth, "MaxDepth must be in [4, 256].");
    }
}
