namespace DthGrains.Contracts.Platform;

/// <summary>
/// The answer of a grain command or query: a value with the stream version it reflects, or a problem.
/// </summary>
[GenerateSerializer, Immutable, Alias("dth.outcome`1")]
public sealed record Outcome<T>(
    [property: Id(0)] T? Value,
    [property: Id(1)] long Version,
    [property: Id(2)] Problem? Problem)
{
    public bool IsSuccess => Problem is null;

    public static Outcome<T> Ok(T value, long version) => new(value, version, null);

    public static Outcome<T> Fail(Problem problem) => new(default, problem.CurrentVersion ?? 0, problem);

    public static implicit operator Outcome<T>(Problem problem) => Fail(problem);
}
