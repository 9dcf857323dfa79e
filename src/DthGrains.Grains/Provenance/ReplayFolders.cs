using Microsoft.Extensions.DependencyInjection;

namespace DthGrains.Grains.Provenance;

/// <summary>Folds the events of streams with one key prefix into the state (view) of their aggregate.</summary>
public interface IReplayFolder
{
    /// <summary>For example <c>organisation:</c>.</summary>
    string StreamPrefix { get; }

    /// <summary>A name for the state's shape, for readers of the replay.</summary>
    string StateName { get; }

    /// <summary>A fold of one stream from its initial state; the replay applies the events to it one at a time.</summary>
    IReplayFold Start(string streamKey);
}

/// <summary>
/// One replay's running state. Events are applied as they are read, so a stream of any length folds without being
/// held in memory.
/// </summary>
public interface IReplayFold
{
    /// <summary>Applies the next event (a deserialized body; events come in version order).</summary>
    void Apply(object @event);

    /// <summary>
    /// The state after the events applied so far as seen at <paramref name="at"/> (a state may change with time alone:
    /// a grant past its end); null when nothing exists yet.
    /// </summary>
    object? View(DateTimeOffset at);
}

/// <summary>A folder made of the aggregate's own pure functions: the same ones the live grain uses.</summary>
public sealed class ReplayFolder<TState>(string streamPrefix, Func<string, TState> initial, Func<TState, object, TState> evolve, Func<TState, DateTimeOffset, object?> view)
    : IReplayFolder where TState : class
{
    public string StreamPrefix { get; } = streamPrefix;

    public string StateName => typeof(TState).Name;

    public IReplayFold Start(string streamKey) => new Fold(initial(streamKey), evolve, view);

    private sealed class Fold(TState state, Func<TState, object, TState> evolve, Func<TState, DateTimeOffset, object?> view) : IReplayFold
    {
        public void Apply(object @event) => state = evolve(state, @event);

        public object? View(DateTimeOffset at) => view(state, at);
    }
}

/// <summary>The registered folders, found by the longest matching stream prefix.</summary>
public sealed class ReplayFolders(IEnumerable<IReplayFolder> folders)
{
    private readonly IReplayFolder[] _folders = folders.OrderByDescending(f => f.StreamPrefix.Length).ToArray();

    public IReplayFolder? For(string streamKey) =>
        _folders.FirstOrDefault(f => streamKey.StartsWith(f.StreamPrefix, StringComparison.Ordinal));

    public IReadOnlyList<string> Prefixes => _folders.Select(f => f.StreamPrefix).ToArray();
}

public static class ReplayFolderRegistration
{
    /// <summary>
    /// Makes the streams whose keys start with <paramref name="streamPrefix"/> replayable as of any version or time:
    /// one call per aggregate, with the aggregate's initial state, its pure evolve function and the view to return.
    /// </summary>
    public static IServiceCollection AddReplayFolder<TState>(this IServiceCollection services, string streamPrefix,
        Func<string, TState> initial, Func<TState, object, TState> evolve, Func<TState, object?>? view = null) where TState : class
    {
        services.AddSingleton<IReplayFolder>(new ReplayFolder<TState>(streamPrefix, initial, evolve, view is null ? (s, _) => s : (s, _) => view(s)));
        return services;
    }

    /// <summary>As above, for a view that depends on the moment it is seen at (the as-of time, or now).</summary>
    public static IServiceCollection AddReplayFolder<TState>(this IServiceCollection services, string streamPrefix,
        Func<string, TState> initial, Func<TState, object, TState> evolve, Func<TState, DateTimeOffset, object?> view) where TState : class
    {
        services.AddSingleton<IReplayFolder>(new ReplayFolder<TState>(streamPrefix, initial, evolve, view));
        return services;
    }
}
