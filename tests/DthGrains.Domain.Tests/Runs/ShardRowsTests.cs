using DthGrains.Domain.Runs;
using DthGrains.Simulation.Cohorts;
using DthGrains.Simulation.Solvers;

namespace DthGrains.Domain.Tests.Runs;

/// <summary>The binary per-subject rows keep a failed subject's reason through encoding, and read it back beside the values.</summary>
public sealed class ShardRowsTests
{
    private const int Width = 4;

    private static double[] FailedRow(IntegrationStatus status) => [SolveFailures.Marker(status), double.NaN, double.NaN, double.NaN];

    [Fact]
    public void Rows_read_back_their_values_and_why_each_failed_subject_failed()
    {
        double[] rows = [.. new double[] { 1, 2, 3, 4 }, .. FailedRow(IntegrationStatus.TooManySteps), .. new double[] { 5, 6, 7, 8 }, .. FailedRow(IntegrationStatus.NonFinite)];
        var encoded = ShardRows.From(rows, Width);
        var decoded = new ShardRows(encoded.Format, encoded.Width, [.. encoded.Data]);

        decoded.Failures().Should().Equal(null, "too-many-steps", null, "non-finite");
        decoded.Values().Skip(Width).Take(Width).Should().AllSatisfy(v => v.Should().BeNull());
        decoded.Values().Take(Width).Should().Equal(1, 2, 3, 4);
    }

    [Fact]
    public void A_shard_recorded_with_json_numbers_says_unknown_for_its_failed_subjects()
    {
        var shard = new ShardCompleted("s", 0, 0, 2, null, [1, 2, 3, 4, null, null, null, null], null, "silo", 1, DateTimeOffset.UnixEpoch);
        shard.SubjectFailures(Width).Should().Equal(null, SolveFailures.UnknownReason);
    }
}
