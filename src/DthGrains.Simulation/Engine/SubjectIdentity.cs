using DthGrains.Simulation.Cohorts;

namespace DthGrains.Simulation.Engine;

/// <summary>
/// Which subject of a run a solve is, for a code that draws random numbers of its own (an agent-based or stochastic
/// external model): its index in the run and a seed that depends only on the run's seed and that index. So a subject
/// gets the same seed in any shard, on any silo, in a re-dispatch after a silo's loss and in <c>dth run verify</c>, and
/// a stochastic code's run is as reproducible as the engine's. The engine's solvers are deterministic and ignore it.
/// </summary>
/// <param name="Index">the subject's index in the run (a sensitivity study: the base sample, shared by its d + 2 evaluations).</param>
/// <param name="Seed">an integer in [0, 2^53): exact in a JSON number read as a double, whatever language reads it.</param>
public readonly record struct SubjectIdentity(long Index, long Seed)
{
    /// <summary>Seeds are below this (2^53).</summary>
    public const long SeedLimit = 1L << 53;

    // Keeps a code's random numbers apart from the stream the platform samples the same subject's parameters from.
    private const ulong CodeStreams = 0x5DEECE66DUL;

    /// <summary>Subject <paramref name="index"/> of a run seeded with <paramref name="runSeed"/>.</summary>
    public static SubjectIdentity Of(ulong runSeed, long index)
    {
        var rng = Xoshiro256StarStar.ForStream(runSeed ^ CodeStreams, index);
        return new SubjectIdentity(index, (long)(rng.NextUInt64() >> 11));
    }
}
