using System.Reflection;
using DthGrains.Simulation.Engine;
using DthGrains.Simulation.Models;

namespace DthGrains.Fhir.Twins;

/// <summary>
/// Which parameters a twin of a model personalises. For Hovorka: endogenous glucose production (EGP0), the three
/// insulin sensitivities (SIT, SID, SIE) and the time to peak gut absorption (tmaxG), the parameters that CGM with
/// recorded meals and insulin can identify; the rest stay at the published values, body weight comes from the record.
/// </summary>
public static class TwinModels
{
    /// <summary>The personal parameters of <paramref name="modelId"/>; null when twins of it are not supported.</summary>
    public static IReadOnlyList<string>? PersonalParameters(string modelId) => modelId switch
    {
        HovorkaModel.Id => ["EGP0", "SIT", "SID", "SIE", "tmaxG"],
        _ => null,
    };

    /// <summary>Models a twin can be built from (those with a FHIR mapping and personal parameters).</summary>
    public static IReadOnlyList<string> Supported { get; } = [HovorkaModel.Id];

    /// <summary>
    /// The engine's version as twins record it (<see cref="EngineIdentity"/>, as runs do). A change marks calibrated twins
    /// stale (their credibility rests on the engine's verification at that version).
    /// </summary>
    public static string EngineVersion { get; } = EngineIdentity.Current;
}
