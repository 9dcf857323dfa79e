using DthGrains.Contracts.Platform;

namespace DthGrains.Domain.Platform;

/// <summary>The result of a pure decide function: the events to append, or the problem that refused the command.</summary>
public readonly record struct Decision(IReadOnlyList<object> Events, Problem? Problem)
{
    public static Decision Of(params object[] events) => new(events, null);

    /// <summary>Nothing to change (an idempotent repeat): no event is appended.</summary>
    public static readonly Decision Nothing = new([], null);

    public static implicit operator Decision(Problem problem) => new([], problem);
}
