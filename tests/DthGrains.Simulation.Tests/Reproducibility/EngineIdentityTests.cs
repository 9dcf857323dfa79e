using DthGrains.Simulation.Engine;

namespace DthGrains.Simulation.Tests.Reproducibility;

public sealed class EngineIdentityTests
{
    [Fact]
    public void Both_spellings_of_this_engine_are_one_engine_and_other_names_stay_as_they_are()
    {
        var version = EngineIdentity.Current.Split('/')[1];
        EngineIdentity.Current.Should().MatchRegex(@"^dthgrains-simulation/\d+\.\d+\.\d+$");
        EngineIdentity.Canonical($"DthGrains.Simulation/{version}").Should().Be(EngineIdentity.Current);
        EngineIdentity.Same($"DthGrains.Simulation/{version}", EngineIdentity.Current).Should().BeTrue();
        EngineIdentity.Same("DthGrains.Simulation/0.9.0", EngineIdentity.Current).Should().BeFalse("another version is another engine");
        EngineIdentity.Canonical("engine-2").Should().Be("engine-2");
        EngineIdentity.Spellings(EngineIdentity.Current).Should().BeEquivalentTo(EngineIdentity.Current, $"DthGrains.Simulation/{version}");
        EngineIdentity.Spellings("engine-2").Should().Equal("engine-2");
    }
}
