using DthGrains.Contracts.Platform;
using DthGrains.Domain.Runs;

namespace DthGrains.Domain.Tests.Runs;

public sealed class RunAdmissionTests
{
    private static string[] Runs(int n) => [.. Enumerable.Range(1, n).Select(i => $"run-{i}")];

    [Theory]
    [InlineData(3, 0)]
    [InlineData(3, 2)]
    [InlineData(0, 50)]
    public void A_run_is_admitted_below_the_cap_or_without_one(int cap, int unfinished) =>
        RunAdmission.Check(cap, Runs(unfinished)).Should().BeNull();

    [Theory]
    [InlineData(3, 3)]
    [InlineData(3, 4)]
    [InlineData(1, 1)]
    public void At_the_cap_the_refusal_is_a_429_naming_the_runs_and_what_to_do(int cap, int unfinished)
    {
        var problem = RunAdmission.Check(cap, Runs(unfinished))!;
        problem.Kind.Should().Be(ProblemKind.TooManyRequests);
        problem.Detail.Should().Contain($"You have {unfinished} unfinished runs").And.Contain($"may have {cap} at once")
            .And.Contain("run-1").And.Contain("dth run cancel");
    }

    [Fact]
    public void A_long_list_names_the_oldest_few_and_counts_the_rest()
    {
        var detail = RunAdmission.Check(2, Runs(9))!.Detail;
        detail.Should().Contain($"run-{RunAdmission.Listed}").And.Contain($"and {9 - RunAdmission.Listed} more");
        detail.Should().NotContain($"run-{RunAdmission.Listed + 1}");
    }

    [Theory]
    [InlineData(0, 10_000, 10_000, 10_000)]
    [InlineData(1000, 400, 300, 300)]
    [InlineData(1000, 0, 0, 1000)]
    public void Rows_that_fit_the_quota_or_no_quota_are_admitted(long quota, long kept, long coming, long adding) =>
        RunAdmission.CheckStorage(quota, kept, coming, adding).Should().BeNull();

    [Fact]
    public void Rows_past_the_quota_are_a_403_saying_what_is_used_and_how_to_make_room()
    {
        var problem = RunAdmission.CheckStorage(8L << 30, 7L << 30, 1L << 29, 3L << 29)!;
        problem.Kind.Should().Be(ProblemKind.Forbidden);
        problem.Detail.Should().Contain("would store 1.5 GiB").And.Contain("you keep 7.0 GiB").And.Contain("will add 512.0 MiB")
            .And.Contain("quota of 8.0 GiB").And.Contain("dth run release-rows");
        RunAdmission.CheckStorage(100, 101, 0, 0)!.Detail.Should().NotContain("unfinished runs will add", "nothing is coming");
    }

    [Fact]
    public void A_subject_stores_four_numbers_per_output_but_a_sensitivity_run_stores_none() =>
        (RunAdmission.RowBytesPerSubject(DthGrains.Contracts.Runs.RunKind.CohortTrial, 4), RunAdmission.RowBytesPerSubject(DthGrains.Contracts.Runs.RunKind.Sensitivity, 4))
            .Should().Be((128L, 0L));
}
