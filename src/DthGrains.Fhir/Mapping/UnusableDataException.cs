namespace DthGrains.Fhir.Mapping;

/// <summary>
/// A subject's data cannot be computed on (it spans no time, did not map cleanly, or the model cannot be solved on it):
/// the caller's to fix, answered 422. A type of its own, so that a programming error elsewhere is not reported as the
/// caller's data.
/// </summary>
public sealed class UnusableDataException(string message) : InvalidOperationException(message);
