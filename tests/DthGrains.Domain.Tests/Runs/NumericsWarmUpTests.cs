using DthGrains.Domain.Runs;
using DthGrains.Simulation.Models;

namespace DthGrains.Domain.Tests.Runs;

public sealed class NumericsWarmUpTests
{
    [Fact]
    public void A_warm_up_solves_every_shipped_model_round_after_round_until_its_budget_has_passed()
    {
        var report = NumericsWarmUp.Run(TimeSpan.FromMilliseconds(200));

        report.Models.Should().Be(ModelLibrary.Engine.Count, "every shipped model plans as a small cohort trial");
        report.Rounds.Should().BeGreaterThanOrEqualTo(1);
        report.Subjects.Should().Be((long)report.Rounds * report.Models * NumericsWarmUp.SubjectsPerRound);
        report.Elapsed.Should().BeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void A_stopped_warm_up_solves_nothing_more()
    {
        using var stopped = new CancellationTokenSource();
        stopped.Cancel();

        var report = NumericsWarmUp.Run(TimeSpan.FromMinutes(5), stopped.Token);

        report.Rounds.Should().Be(0);
        report.Subjects.Should().Be(0);
    }
}
