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
}
