using DthGrains.Fhir.Twins;

namespace DthGrains.Grains.Twins;

/// <summary>Settings of the twins capability.</summary>
public sealed class TwinOptions
{
    /// <summary>The engine version twins record and compare with (default: the simulation library's); a change marks calibrated twins stale.</summary>
    public string EngineVersion { get; set; } = TwinModels.EngineVersion;

    /// <summary>How long a scenario test waits for its run on the platform before cancelling it (503).</summary>
    public TimeSpan ScenarioRunTimeout { get; set; } = TimeSpan.FromSeconds(20);
}
