using DthGrains.Contracts.Platform;

namespace DthGrains.Domain.Platform;

/// <summary>Collects field errors (keyed by JSON member name) and turns them into one 400 problem.</summary>
public sealed class FieldErrors
{
    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

    public FieldErrors Add(string field, string message)
    {
        if (!_errors.TryGetValue(field, out var list)) _errors[field] = list = [];
        list.Add(message);
        return this;
    }

    public FieldErrors Require(bool condition, string field, string message) => condition ? this : Add(field, message);

    public FieldErrors RequireText(string? value, string field, int maxLength)
    {
        if (string.IsNullOrWhiteSpace(value)) return Add(field, $"'{field}' is required.");
        if (value.Length > maxLength) return Add(field, $"'{field}' must be at most {maxLength} characters.");
        if (value.Any(char.IsControl)) return Add(field, $"'{field}' must not contain control characters.");
        return this;
    }

    public FieldErrors OptionalUrl(string? value, string field)
    {
        if (value is null) return this;
        var ok = value.Length <= 2048 && Uri.TryCreate(value, UriKind.Absolute, out var uri)
                 && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp);
        return ok ? this : Add(field, $"'{field}' must be an absolute http or https URL.");
    }

    public bool Any => _errors.Count > 0;

    public Problem? ToProblem(string detail = "One or more fields are not valid; see 'errors'.") =>
        Any ? Problem.Invalid(detail, _errors.ToDictionary(e => e.Key, e => e.Value.ToArray())) : null;
}
