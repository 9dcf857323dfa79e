using System.Globalization;
using DthGrains.Contracts.Platform;
using DthGrains.Contracts.Runs;
using DthGrains.Domain.Platform;
using DthGrains.Simulation.Cohorts;
using DthGrains.Simulation.Models;

namespace DthGrains.Domain.Runs;

/// <summary>One subject's estimate of a parameter, with its standard error on the log scale (0 for a recorded covariate).</summary>
public sealed record ParameterEstimate(string Parameter, double Value, double LogStandardError);

/// <summary>
/// Cohort trials seeded from a dataset's subjects: which parameters a seed sets, how the per-subject estimates become
/// a population distribution (computed at the data), and how a filled-in seed is checked and sampled (anywhere).
/// </summary>
public static class CohortSeeding
{
    /// <summary>
    /// Fewer usable subjects than this and no seed is given (k-anonymity style): an aggregate of very few patients comes
    /// too close to one patient's values.
    /// </summary>
    public const int MinSubjects = 5;

    /// <summary>
    /// At most this many subjects (the first in pseudonym order) are calibrated: each costs about 0.4 s of CPU here
    /// (CohortSeedEstimatesTests prints it), so a seed is fitted in seconds, well within the run's bound on a fit.
    /// </summary>
    public const int MaxSubjects = 40;

    /// <summary>How the seed is derived: each subject's personal parameters calibrated as for a twin, body weight as recorded.</summary>
    public const string Method = "twin-calibration";

    /// <summary>Seeds are rounded to this many significant digits: enough for a population, no more precision about a few patients than needed.</summary>
    public const int SignificantDigits = 4;

    /// <summary>
    /// The parameters a seed sets for <paramref name="modelId"/>, or null when the model has no FHIR mapping. For Hovorka: the
    /// parameters a twin calibrates from CGM, meals and insulin (EGP0, SIT, SID, SIE, tmaxG) and the recorded body weight;
    /// every other parameter keeps the model's published variability.
    /// </summary>
    public static IReadOnlyList<string>? SeededParameters(string modelId) => modelId switch
    {
        HovorkaModel.Id => ["EGP0", "SIT", "SID", "SIE", "tmaxG", "BW"],
        _ => null,
    };

    /// <summary>
    /// Log-normal distributions from the usable subjects' estimates: the median is the geometric mean; the log-variance is
    /// the sample variance of the log-estimates less their mean squared standard error (point estimates scatter by their
    /// estimation error on top of the population's spread; never below 0). Refused (422) below <see cref="MinSubjects"/>.
    /// </summary>
    public static (CohortSeed? Seed, Problem? Problem) Aggregate(string dataset, string datasetVersion, IReadOnlyList<IReadOnlyList<ParameterEstimate>> subjects, int excluded)
    {
        if (subjects.Count < MinSubjects)
            return (null, new Problem(ProblemKind.Unprocessable, "Too few usable subjects to seed a cohort",
                $"{subjects.Count} of {subjects.Count + excluded} subjects read from dataset '{dataset}' {datasetVersion} could be mapped and calibrated; a seed needs at least {MinSubjects}, so that no single patient's values can be read from it."));
        var names = subjects[0].Select(e => e.Parameter).Order(StringComparer.Ordinal).ToArray();
        if (subjects.Any(s => !s.Select(e => e.Parameter).Order(StringComparer.Ordinal).SequenceEqual(names)))
            throw new ArgumentException("Every subject must estimate the same parameters.", nameof(subjects));
        var parameters = names.Select(name =>
        {
            var estimates = subjects.Select(s => s.Single(e => e.Parameter == name)).ToArray();
            var logs = estimates.Select(e => Math.Log(e.Value)).ToArray();
            double mean = logs.Average();
            double variance = logs.Sum(x => (x - mean) * (x - mean)) / (logs.Length - 1);
            double noise = estimates.Average(e => e.LogStandardError * e.LogStandardError);
            double between = Math.Max(variance - noise, 0);
            return new SeedDistribution(name, Round(Math.Exp(mean)), Round(Math.Sqrt(Math.Exp(between) - 1)));
        }).ToArray();
        // A spread wider than any seed may carry (CV above MaxCv) means the subjects do not pin the parameter down: say so,
        // rather than let the run refuse its own filled-in request as if the client had sent it.
        if (parameters.Where(p => p.Cv > MaxCv).Select(p => p.Parameter).ToArray() is { Length: > 0 } wide)
            return (null, new Problem(ProblemKind.Unprocessable, "The subjects do not determine the seed",
                $"Across the {subjects.Count} usable subjects of dataset '{dataset}' {datasetVersion}, {string.Join(", ", wide)} vary by a coefficient of variation above {MaxCv}: too wide to seed a cohort. Run an unseeded cohort trial instead."));
        return (new CohortSeed(dataset, datasetVersion, subjects.Count, excluded, Method, parameters), null);
    }

    /// <summary>The widest spread a seed carries (the same bound as an uncertain parameter's CV).</summary>
    public const double MaxCv = 5;

    /// <summary>A client names the dataset only; what the platform fills in is refused (400) rather than trusted.</summary>
    public static Problem? CheckRequested(CohortSeed? seed)
    {
        if (seed is null) return null;
        if (seed.DatasetVersion is not null || seed.Subjects is not null || seed.Excluded is not null || seed.Method is not null || seed.Parameters is not null)
            return Problem.Invalid("cohortFrom", "Give only 'cohortFrom.dataset': the version, subjects, method and distributions are filled in from the dataset at submission.");
        return null;
    }

    /// <summary>Checks a request's seed (named, or filled in) against the run's kind and model.</summary>
    internal static void Check(CohortSeed seed, RunKind kind, ModelInfo info, FieldErrors errors)
    {
        if (kind != RunKind.CohortTrial) { errors.Add("cohortFrom", "Only a cohort-trial run is seeded from a dataset ('cohortFrom')."); return; }
        if (string.IsNullOrEmpty(seed.Dataset) || !Ids.IsValid(seed.Dataset)) errors.Add("cohortFrom.dataset", $"'cohortFrom.dataset' is a dataset id ({Ids.Rule}).");
        if (SeededParameters(info.Id) is not { } seeded)
        {
            errors.Add("cohortFrom", $"Model '{info.Id}' has no FHIR mapping, so no cohort of it can be seeded from patient data (seedable: {HovorkaModel.Id}).");
            return;
        }
        if (seed.Parameters is not { } parameters) return; // named only: filled in at submission
        errors.Require(!string.IsNullOrEmpty(seed.DatasetVersion), "cohortFrom.datasetVersion", "A filled-in seed names the dataset version it was fitted on.")
              .Require(seed.Subjects >= MinSubjects, "cohortFrom.subjects", $"A seed rests on at least {MinSubjects} subjects.")
              .Require(seed.Excluded is >= 0, "cohortFrom.excluded", "'cohortFrom.excluded' is 0 or more.")
              .Require(seed.Method == Method, "cohortFrom.method", $"'cohortFrom.method' is '{Method}'.")
              .Require(parameters.Select(p => p?.Parameter).Order(StringComparer.Ordinal).SequenceEqual(seeded.Order(StringComparer.Ordinal)),
                  "cohortFrom.parameters", $"A seed of '{info.Id}' sets exactly {string.Join(", ", seeded)}.");
        for (int i = 0; i < parameters.Length; i++)
        {
            var p = parameters[i];
            errors.Require(p is not null && double.IsFinite(p.Median) && p.Median > 0, $"cohortFrom.parameters[{i}].median", "'median' is a positive number.")
                  .Require(p is not null && double.IsFinite(p.Cv) && p.Cv is >= 0 and <= MaxCv, $"cohortFrom.parameters[{i}].cv", $"'cv' is 0 to {MaxCv}.");
        }
    }

    /// <summary>The sampler's distributions for the seeded parameters (the rest keep the model's).</summary>
    public static IReadOnlyDictionary<string, Distribution> Overrides(CohortSeed seed) =>
        (seed.Parameters ?? throw new InvalidOperationException($"The seed from '{seed.Dataset}' has not been fitted."))
            .ToDictionary(p => p.Parameter, p => (Distribution)LogNormalDistribution.FromMedianCv(p.Median, p.Cv), StringComparer.Ordinal);

    /// <summary>Sorted by parameter name, so the stored request and its hash do not depend on the order of fitting.</summary>
    internal static CohortSeed Normalise(CohortSeed seed) =>
        seed.Parameters is null ? seed : seed with { Parameters = [.. seed.Parameters.OrderBy(p => p.Parameter, StringComparer.Ordinal)] };

    private static double Round(double value) =>
        value == 0 ? 0 : double.Parse(value.ToString("G" + SignificantDigits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
}
