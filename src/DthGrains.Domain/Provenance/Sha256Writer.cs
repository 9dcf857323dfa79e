using System.Buffers;
using System.Security.Cryptography;

namespace DthGrains.Domain.Provenance;

/// <summary>
/// A buffer writer that hashes (SHA-256) what is written to it, through one pooled 16 KB buffer: an event's canonical
/// form is hashed as it is written, never held whole. A shard event's form is ~90 KB; building it in one array took a
/// fresh large-object array per event (two when it grew), then a copy, and the page faults of touching them.
/// </summary>
public sealed class Sha256Writer : IBufferWriter<byte>, IDisposable
{
    private const int ChunkSize = 16 * 1024;

    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
    private int _written;

    public void Advance(int count)
    {
        if (count < 0 || _written + count > _buffer.Length) throw new ArgumentOutOfRangeException(nameof(count), "More bytes advanced than the span given out holds.");
        _written += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _buffer.AsSpan(_written);
    }

    /// <summary>The lower-case hex hash of everything written; the writer starts again empty.</summary>
    public string HexHashAndReset()
    {
        Flush();
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        _hash.GetHashAndReset(hash);
        return Convert.ToHexStringLower(hash);
    }

    public void Dispose()
    {
        _hash.Dispose();
        if (_buffer.Length > 0) ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }

    private void Reserve(int sizeHint)
    {
        ObjectDisposedException.ThrowIf(_buffer.Length == 0, this);
        sizeHint = Math.Max(sizeHint, 1);
        if (_buffer.Length - _written >= sizeHint) return;
        Flush();
        if (_buffer.Length >= sizeHint) return;
        // A single write wider than the buffer (a long string's worst-case UTF-8): a wider buffer from the pool.
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = ArrayPool<byte>.Shared.Rent(sizeHint);
    }

    private void Flush()
    {
        if (_written > 0) _hash.AppendData(_buffer, 0, _written);
        _written = 0;
    }
}
