using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace DthGrains.Domain.Runs;

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
