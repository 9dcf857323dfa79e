using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

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

/// <summary>
/// SHA-256 over what a shard contributes to its run's results, bound to its index and subject range: its statistics
/// (counts, failure reasons and the binary sketches, bit for bit), its rows' digest and its sensitivity sums. Two
/// executions of one shard of one request by one engine give the same fingerprint on any machine.
/// </summary>
public static class ShardFingerprint
{
    private static readonly byte[] Schema = Encoding.UTF8.GetBytes("dth.shard-fingerprint/1");

    public static string Of(ShardCompleted s)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Schema);
        Long(s.Shard); Long(s.From); Long(s.To);
        if (s.Statistics is { } statistics)
        {
            Long(1); Long(statistics.Individuals); Long(statistics.Failed); Text(statistics.Format);
            var reasons = statistics.FailedBy ?? new Dictionary<string, long>();
            Long(reasons.Count);
            foreach (var (reason, count) in reasons.OrderBy(r => r.Key, StringComparer.Ordinal)) { Text(reason); Long(count); }
            Long(statistics.Data.Length);
            hash.AppendData(statistics.Data);
        }
        else Long(0);
        hash.AppendData(s.RowsSha256());
        Sums(s.SensitivitySums);
        // The further targets' sums, only when present: a shard of one target keeps its fingerprint.
        if (s.SensitivityAlso is { } also)
        {
            Long(also.Length);
            foreach (var more in also) Sums(more);
        }
        if (s.Sensitivity is { } legacy)
        {
            Long(1); Text(legacy.Output); Text(legacy.Statistic); Long(legacy.Inputs.Length);
            foreach (var input in legacy.Inputs) Text(input);
            Numbers(legacy.FirstOrder); Numbers(legacy.Total); Number(legacy.Variance);
        }
        else Long(0);
        return Convert.ToHexStringLower(hash.GetHashAndReset());

        void Sums(SensitivitySums? sums)
        {
            if (sums is null)
            {
                Long(0);
                return;
            }
            Long(1); Long(sums.Samples); Long(sums.Dropped); Long(sums.Count); Number(sums.Mean); Number(sums.M2);
            Numbers(sums.First); Numbers(sums.Total); Numbers(sums.FirstSquares); Numbers(sums.TotalSquares);
        }
        void Long(long v)
        {
            Span<byte> b = stackalloc byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(b, v);
            hash.AppendData(b);
        }
        // Absent (null) and every value bit for bit (NaN is stored as null in JSON).
        void Number(double? v)
        {
            Long(v is null ? 0 : 1);
            if (v is { } d) Long(BitConverter.DoubleToInt64Bits(d));
        }
        void Numbers(double?[]? values)
        {
            Long(values?.Length ?? -1);
            foreach (var v in values ?? []) Number(v);
        }
        void Text(string v)
        {
            var bytes = Encoding.UTF8.GetBytes(v);
            Long(bytes.Length);
            hash.AppendData(bytes);
        }
    }
}
