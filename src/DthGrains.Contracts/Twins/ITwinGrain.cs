using DthGrains.Contracts.Platform;
using Orleans.Concurrency;

namespace DthGrains.Contracts.Twins;

/// <summary>
/// One digital twin: a model version personalised to one pseudonymised patient under a grant. Key: the twin id.
/// Every command first checks what the twin rests on (model, engine and dataset versions, the grant) and records
/// staleness before it decides.
/// </summary>
public interface ITwinGrain : IGrainWithStringKey
{
    /// <summary>The twin as <paramref name="viewer"/> may see it (owner, auditors, platform admins); checks staleness first.</summary>
    Task<Outcome<TwinView>> GetAsync(Actor viewer);

    /// <summary>Creates the twin: model version, context of use, acceptance criteria, purpose.</summary>
    Task<Outcome<TwinView>> DesignAsync(TwinDesign design, CommandContext context);

    /// <summary>Links one dataset subject's data, read through the dataset's grain under a live grant with action <c>simulate</c>.</summary>
    Task<Outcome<TwinView>> LinkDataAsync(TwinDataLink link, CommandContext context);

    /// <summary>Fits the personal parameters to the linked data (all but the held-out last day), off the grain turn.</summary>
    Task<Outcome<TwinView>> CalibrateAsync(CommandContext context);

    /// <summary>Compares predictions with the held-out observations against the acceptance criteria.</summary>
    Task<Outcome<TwinView>> ValidateAsync(CommandContext context);

    /// <summary>Runs a what-if scenario on the calibrated twin and records its summary and request hash.</summary>
    Task<Outcome<TwinView>> TestScenarioAsync(TwinScenario scenario, CommandContext context);

    /// <summary>Makes a validated, passing, fresh twin active.</summary>
    Task<Outcome<TwinView>> ActivateAsync(CommandContext context);

    /// <summary>Retires the twin for good, with a reason.</summary>
    Task<Outcome<TwinView>> RetireAsync(string reason, CommandContext context);

    /// <summary>
    /// The predictions of a scenario test (the latest when <paramref name="scenarioId"/> is null) as a FHIR R4 Bundle of
    /// Observations, a DiagnosticReport and a Provenance, recomputed from the recorded request.
    /// </summary>
    Task<Outcome<string>> ExportFhirAsync(Actor viewer, string? scenarioId);

    /// <summary>Re-checks what the twin rests on and records staleness (called after catalogue and grant changes).</summary>
    Task CheckDependenciesAsync();
}
