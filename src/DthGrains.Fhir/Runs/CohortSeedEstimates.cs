using DthGrains.Domain.Runs;
using DthGrains.Fhir.Mapping;
using DthGrains.Fhir.Twins;

namespace DthGrains.Fhir.Runs;

/// <summary>
/// One subject's part in a cohort seed: the parameters <see cref="CohortSeeding.SeededParameters"/> names, estimated as a
/// twin's are (<see cref="TwinComputation.Calibrate"/>: the same estimator, already checked for recovery on synthetic
/// patients) plus the body weight the record shows. Null when the subject cannot contribute: mapping errors, no body
/// weight, too little data, or a fit that did not converge. Pure and CPU-bound; callers run it at the data, off any grain turn.
/// </summary>
public static class CohortSeedEstimates
{
    public static IReadOnlyList<ParameterEstimate>? Estimate(PatientTimeline timeline, string modelVersion)
    {
        if (!timeline.Report.IsSuccess || timeline.BodyWeightKg is not { } weight || CohortSeeding.SeededParameters(timeline.ModelId) is null) return null;
        CalibrationOutcome fit;
        try { fit = TwinComputation.Calibrate(timeline, modelVersion); }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException) { return null; }
        if (!fit.Converged || fit.Parameters.Any(p => !(double.IsFinite(p.Estimate) && p.Estimate > 0 && double.IsFinite(p.LogStandardError)))) return null;
        return [.. fit.Parameters.Select(p => new ParameterEstimate(p.Name, p.Estimate, p.LogStandardError)), new ParameterEstimate("BW", weight, 0)];
    }
}
