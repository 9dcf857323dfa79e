using DthGrains.Contracts.Catalogue;
using DthGrains.Contracts.Platform;
using DthGrains.Contracts.Twins;
using DthGrains.Fhir.Datasets;
using DthGrains.Fhir.Mapping;
using DthGrains.Fhir.Twins;
using DthGrains.Grains.Federation;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;

namespace DthGrains.Grains.Twins;

/// <summary>
/// Computation goes to the data: a twin's link, calibration and validation run here, on a silo of the institution
/// that holds the subject (placement filter), and only their results travel back to the twin. Every call reads the
/// subject through the dataset's grain, which checks the policy and records the read or the refusal. Stateless, so
/// reentrant: the numerical work runs off the grain turn and calls of several twins on one dataset interleave.
/// </summary>
[InstitutionResidency]
[Reentrant]
public sealed class SubjectComputeGrain(IOptions<FederationOptions> federation, ILocalSiloDetails silo) : Grain, ISubjectComputeGrain
{
    /// <summary>The grant action a twin needs on its data.</summary>
    public const string Action = "simulate";

    private const string GlucoseKind = "glucose (LOINC 15074-8/2339-0 and kin), mmol/L";

    public async Task<Outcome<SubjectLinkResult>> LinkAsync(string datasetVersion, string subjectPseudonym, string modelId, CommandContext context)
    {
        var read = await ReadAsync(datasetVersion, subjectPseudonym, context);
        if (!read.IsSuccess) return read.Problem!;
        var timeline = await Task.Run(() => MapTimeline(read.Value!, modelId));
        if (Unusable(timeline) is { } unusable) return unusable;
        var glucose = timeline.Glucose;
        return Outcome<SubjectLinkResult>.Ok(new SubjectLinkResult(read.Value!.DatasetVersion, read.Value.GrantId,
            new TwinObservationWindow(GlucoseKind, glucose.Count, glucose[0].Time, glucose[^1].Time), timeline.Carbohydrates.Count, timeline.InsulinBoluses.Count,
            timeline.BasalRates.Count > 0 ? timeline.BasalRates[^1].UnitsPerHour : null, timeline.BodyWeightKg,
            timeline.Report.Warnings.Select(w => $"{w.ResourceType}/{w.ResourceId} {w.Element}: {w.Message}").Take(50).ToArray(), timeline.Report.UnmappedCodes.ToArray()), 0);
    }

    public async Task<Outcome<SubjectCalibrationResult>> CalibrateAsync(string datasetVersion, string subjectPseudonym, string modelId, string modelVersion, CommandContext context)
    {
        var timeline = await TimelineAsync(datasetVersion, subjectPseudonym, modelId, context);
        if (!timeline.IsSuccess) return timeline.Problem!;
        var mapped = timeline.Value!;
        CalibrationOutcome fit;
        try { fit = await Task.Run(() => TwinComputation.Calibrate(mapped, modelVersion)); }
        // What the data cannot give (too few readings, readings at one instant, an unidentifiable parameter) is the
        // caller's to fix: a 422 with the reason, never a 500 after the read was recorded.
        catch (Exception e) when (e is ArgumentException or UnusableDataException) { return new Problem(ProblemKind.Unprocessable, "The twin cannot be calibrated", e.Message); }
        return Outcome<SubjectCalibrationResult>.Ok(new SubjectCalibrationResult(
            fit.Parameters.Select(p => new TwinParameter(p.Name, p.Estimate, p.StandardError, p.Unit, p.Lower, p.Upper)).ToArray(),
            new TwinFit(fit.Converged, fit.Iterations, fit.WeightedSumOfSquares, fit.ResidualVariance, fit.Rmse),
            new TwinObservationWindow(GlucoseKind, fit.Observations.Count, fit.Observations.From, fit.Observations.To), fit.RequestHash), 0);
    }

    public async Task<Outcome<SubjectValidationResult>> ValidateAsync(string datasetVersion, string subjectPseudonym, string modelId, string modelVersion,
        TwinParameter[] fitted, CommandContext context)
    {
        var timeline = await TimelineAsync(datasetVersion, subjectPseudonym, modelId, context);
        if (!timeline.IsSuccess) return timeline.Problem!;
        var mapped = timeline.Value!;
        var estimates = fitted.ToDictionary(p => p.Name, p => p.Estimate);
        ValidationOutcome result;
        try { result = await Task.Run(() => TwinComputation.Validate(mapped, estimates, modelVersion)); }
        catch (Exception e) when (e is ArgumentException or UnusableDataException) { return new Problem(ProblemKind.Unprocessable, "The twin cannot be validated", e.Message); }
        var m = result.Metrics;
        return Outcome<SubjectValidationResult>.Ok(new SubjectValidationResult(new TwinMetrics(m.Rmse, m.Mae, m.Mard, m.Bias, m.Coverage, m.Count),
            new TwinObservationWindow(GlucoseKind, result.HeldOut.Count, result.HeldOut.From, result.HeldOut.To), result.RequestHash), 0);
    }

    public Task<string> HostingInstitutionsAsync() => Task.FromResult(Residency.Describe(federation.Value, silo));

    private async Task<Outcome<PatientTimeline>> TimelineAsync(string datasetVersion, string subjectPseudonym, string modelId, CommandContext context)
    {
        var read = await ReadAsync(datasetVersion, subjectPseudonym, context);
        if (!read.IsSuccess) return read.Problem!;
        var timeline = await Task.Run(() => MapTimeline(read.Value!, modelId));
        return Unusable(timeline) is { } unusable ? unusable : Outcome<PatientTimeline>.Ok(timeline, 0);
    }

    /// <summary>The dataset's grain shares this grain's key and institution, so the resources never leave the institution's silos.</summary>
    private Task<Outcome<SubjectData>> ReadAsync(string datasetVersion, string subjectPseudonym, CommandContext context) =>
        GrainFactory.GetGrain<IDatasetGrain>(this.GetPrimaryKeyString()).ReadSubjectAsync(datasetVersion, subjectPseudonym, Action, context);

    internal static PatientTimeline MapTimeline(SubjectData data, string modelId)
    {
        var rows = data.Resources.Select(r => new DatasetResource(r.ResourceType, r.Id, data.SubjectPseudonym, r.Json)).ToList();
        var counts = rows.GroupBy(r => r.ResourceType, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        return FhirToModel.Map(new DatasetContent("collection", rows, counts, [data.SubjectPseudonym], ""), data.SubjectPseudonym, modelId);
    }

    private static Problem? Unusable(PatientTimeline timeline)
    {
        if (timeline.Report.IsSuccess) return null;
        var errors = timeline.Report.Errors.GroupBy(e => $"{e.ResourceType}/{e.ResourceId} {e.Element}".Trim())
            .ToDictionary(g => g.Key, g => g.Select(e => e.Message).ToArray());
        return new Problem(ProblemKind.Unprocessable, "The patient data cannot be mapped to the model",
            $"{timeline.Report.Errors.Count} mapping error(s); unmapped codes: {(timeline.Report.UnmappedCodes.Count == 0 ? "none" : string.Join(", ", timeline.Report.UnmappedCodes))}.", errors);
    }
}
