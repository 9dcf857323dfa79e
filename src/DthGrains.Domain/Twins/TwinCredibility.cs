using DthGrains.Contracts.Catalogue;
using static DthGrains.Contracts.Catalogue.CredibilityFactor;

namespace DthGrains.Domain.Twins;

/// <summary>
/// The twin's ASME V&amp;V 40 credibility record, derived from the evidence its own stream holds (so it is never out of
/// step with it): code verification by engine version, the model version's catalogue credibility, the data mapping,
/// the calibration and the validation against the acceptance criteria. Required levels follow model risk
/// (influence × consequence). While the twin is stale, the factors whose evidence is no longer current achieve 0.
/// </summary>
public static class TwinCredibility
{
    public static CredibilityRecord Assess(TwinState s)
    {
        var d = s.Design!;
        var header = new CredibilityHeader(d.QuestionOfInterest, d.ContextOfUse, d.ModelInfluence, d.DecisionConsequence, Adequacy(s));
        int required = Required(header.ModelRisk);
        var stale = s.IsStale ? $"stale: {string.Join("; ", s.StaleReasons.Select(r => r.Reason))}" : null;
        var c = s.Calibration;
        var v = s.Validation;
        var data = s.Data;
        // Designed on one version; a calibration on another carries that version's own model-form level.
        var (formVersion, formLevel) = c is not null && c.ModelVersion != d.ModelVersion ? (c.ModelVersion, c.ModelCredibilityLevel) : (d.ModelVersion, d.ModelCredibilityLevel);

        CredibilityAssessment F(CredibilityFactor f, int achieved, params string?[] evidence) =>
            new(f, required, Math.Clamp(achieved, 0, 5), evidence.Where(e => e is not null).Select(e => e!).ToArray());

        // Evidence that depends on the calibration and validation loses its force while the twin is stale.
        int Current(int level) => stale is null ? level : 0;
        return new CredibilityRecord(header,
        [
            F(SoftwareQualityAssurance, 2, $"engine {s.EngineVersion}: warnings as errors, analyzers, automated test suite in CI"),
            F(NumericalCodeVerification, 3, $"engine {s.EngineVersion}: solver convergence-order, stiff and event tests (DthGrains.Simulation.Tests/Solvers)"),
            F(DiscretizationError, 3, "adaptive step size with local error control (Dormand-Prince 4(5) / Rodas4)"),
            F(NumericalSolverError, 2, "calibration and predictions solved at rtol 1e-8, atol 1e-10"),
            F(UseError, data is null ? 0 : data.MappingWarnings.Length == 0 ? 3 : 2,
                data is null ? "no patient data linked yet" : $"inputs mapped from FHIR by LOINC and UCUM with unit conversion; {data.MappingWarnings.Length} mapping warning(s), {data.UnmappedCodes.Length} unmapped code(s)"),
            // The model version the twin is on: a recalibration moves it to the latest, whose own record counts.
            F(ModelForm, formLevel ?? 1,
                formLevel is { } level
                    ? $"model {d.ModelId}@{formVersion}: model form achieved level {level} in its catalogue V&V 40 record"
                    : formVersion != d.ModelVersion
                        // A calibration recorded before the level was carried with it (session 32): not known, not absent.
                        ? $"model {d.ModelId}@{formVersion}: model-form level not recorded with the calibration; see the model version's catalogue V&V 40 record"
                        : $"model {d.ModelId}@{formVersion}: no model-form assessment in the catalogue"),
            F(ModelInputs, c is null ? 0 : Current(c.Fit.Converged ? 3 : 1),
                c is null ? "not calibrated" : $"{c.Parameters.Length} personal parameters fitted to {c.Observations.Count} glucose observations ({c.Observations.From:O} to {c.Observations.To:O}); residual variance {c.Fit.ResidualVariance:F2}; request {c.RequestHash}", stale),
            F(TestSamples, v is null ? 0 : Current(v.Metrics.Count >= 100 ? 3 : 2), v is null ? "not validated" : $"{v.Metrics.Count} held-out observations of the same subject", stale),
            F(TestConditions, v is null ? 0 : Current(2), v is null ? "not validated" : $"held-out window {v.HeldOut.From:O} to {v.HeldOut.To:O} under the patient's own meals and insulin", stale),
            F(EquivalencyOfInputParameters, c is null ? 0 : Current(3), c is null ? "not calibrated" : $"parameters personalised on subject {c.SubjectPseudonym} of {c.DatasetId}@{c.DatasetVersion}", stale),
            F(OutputComparison, v is null ? 0 : Current(v.Passed ? 3 : 1),
                v is null ? "not validated" : $"MARD {v.Metrics.MardPercent:F1} %, bias {v.Metrics.Bias:F2}, RMSE {v.Metrics.Rmse:F2}, coverage {v.Metrics.Coverage:P0}: {(v.Passed ? "passes" : "fails: " + string.Join("; ", v.Failures))} the acceptance criteria", stale),
            F(RelevanceOfQuantitiesOfInterest, 2, "glucose, the quantity the context of use asks about, is both calibrated and predicted"),
            F(RelevanceOfValidationActivities, v is null ? 0 : Current(2), v is null ? "not validated" : "validation on the same patient's later data; scenario tests extrapolate beyond it", stale),
        ]);
    }

    /// <summary>Required level per V&amp;V 40 model risk: 1–2 → 2, 3–4 → 3, 6 → 4, 9 → 5.</summary>
    public static int Required(int modelRisk) => modelRisk switch { <= 2 => 2, <= 4 => 3, <= 6 => 4, _ => 5 };

    private static string Adequacy(TwinState s) =>
        s.Stage == TwinStage.Retired ? "retired"
        : s.IsStale ? "not adequate: the evidence is stale; recalibrate and revalidate"
        : s.Validation is { Passed: true } ? "adequate for the context of use on the validation evidence"
        : s.Validation is not null ? "not adequate: validation failed"
        : "not yet assessed: no validation";
}
