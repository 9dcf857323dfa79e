namespace DthGrains.Domain.Runs;

/// <summary>
/// A shard as the run recorded it, without its per-subject rows (their SHA-256 stands for them): what an auditor needs to
/// check one shard at a time. <see cref="Fingerprint"/> covers everything the shard contributes to the run's results, so
/// a shard re-run elsewhere reproduces it when the fingerprints are equal; where and how fast it ran are not part of it.
/// </summary>
/// <param name="RowsDigest">SHA-256 of the shard's binary per-subject rows (as the result hash takes them), in hex.</param>
/// <param name="Sensitivity">a whole sensitivity study's indices, as shards of studies recorded before 2026-12-06 carried them.</param>
/// <param name="SiloRole">the computing silo's role and institutions (its metadata), when recorded (<see cref="ShardCompleted.SiloRole"/>).</param>
public sealed record RecordedShard(int Shard, long From, long To, string Silo, double ElapsedMs, DateTimeOffset CompletedAt, string Fingerprint,
    ShardStatistics? Statistics, string RowsDigest, SensitivitySums? SensitivitySums, SensitivityResult? Sensitivity, string? SiloRole = null,
    string[]? SiloInstitutions = null, SensitivitySums[]? SensitivityAlso = null)
{
    public static RecordedShard Of(ShardCompleted s) =>
        new(s.Shard, s.From, s.To, s.Silo, s.ElapsedMs, s.CompletedAt, ShardFingerprint.Of(s), s.Statistics, Convert.ToHexStringLower(s.RowsSha256()),
            s.SensitivitySums, s.Sensitivity, s.SiloRole, s.SiloInstitutions, s.SensitivityAlso);

    /// <summary>The shard event this stands for, as far as the run's results go (its rows by their digest only).</summary>
    public ShardCompleted ToShardCompleted(string runId) =>
        new(runId, Shard, From, To, Statistics, null, Sensitivity, Silo, ElapsedMs, CompletedAt, null, RowsDigest, SensitivitySums)
            { SiloRole = SiloRole, SiloInstitutions = SiloInstitutions, SensitivityAlso = SensitivityAlso };

    /// <inheritdoc cref="ShardCompleted.SiloLabel"/>
    [System.Text.Json.Serialization.JsonIgnore]
    public string SiloLabel => ShardSilo.Label(Silo, SiloRole, SiloInstitutions);
}

/// <summary>How a silo that computed a shard is named to people.</summary>
public static class ShardSilo
{
    /// <summary>"127.0.0.1:11112@155573192 (bsc, hpc)": the address, then institutions and role where known.</summary>
    public static string Label(string address, string? role, string[]? institutions)
    {
        var known = (institutions ?? []).Append(role).Where(x => !string.IsNullOrEmpty(x)).ToList();
        return known.Count == 0 ? address : $"{address} ({string.Join(", ", known)})";
    }
}
