namespace DthGrains.Grains.Platform;

/// <summary>The stream moved on since it was read: another writer (or a second activation) won the race.</summary>
public sealed class StreamConflictException(string streamKey, long expectedVersion, Exception inner)
    : Exception($"Stream '{streamKey}' is no longer at version {expectedVersion}.", inner)
{
    public string StreamKey { get; } = streamKey;
    public long ExpectedVersion { get; } = expectedVersion;
}
