namespace DthGrains.Simulation.Models.External;

/// <summary>What one process of an external code may use; null: no limit.</summary>
/// <param name="MemoryMiB">memory one process may allocate (RLIMIT_DATA)</param>
/// <param name="CpuSeconds">CPU time per subject (RLIMIT_CPU; a batch's process gets it times its subjects)</param>
public sealed record ExternalLimits(int? MemoryMiB, int? CpuSeconds)
{
    /// <summary>Whether any limit is set.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool Any => MemoryMiB is not null || CpuSeconds is not null;

    public override string ToString() => !Any ? "none" : string.Join(", ",
        ((string?[])[MemoryMiB is { } m ? $"{m} MiB of memory" : null, CpuSeconds is { } c ? $"{c} s of CPU a subject" : null]).OfType<string>());
}
