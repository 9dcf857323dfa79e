using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using DthGrains.Contracts.Provenance;

namespace DthGrains.Domain.Provenance;

/// <summary>
/// The Merkle tree hash of RFC 6962 (Certificate Transparency), section 2.1: leaves hashed as
/// SHA-256(0x00 || leaf), inner nodes as SHA-256(0x01 || left || right), the left subtree the largest power of
/// two smaller than the leaf count; the empty tree is SHA-256 of nothing. Built incrementally from leaves in
/// order with O(log n) memory.
/// </summary>
public sealed class MerkleTree
{
    private readonly List<(int Height, byte[] Hash)> _stack = [];

    public long Count { get; private set; }

    /// <summary>Adds the next leaf (its data, not its hash).</summary>
    public void Add(ReadOnlySpan<byte> leafData)
    {
        var hash = LeafHash(leafData);
        var height = 0;
        // Merge complete subtrees of equal height: the stack always holds the perfect subtrees of Count's binary digits.
        while (_stack.Count > 0 && _stack[^1].Height == height)
        {
            hash = NodeHash(_stack[^1].Hash, hash);
            _stack.RemoveAt(_stack.Count - 1);
            height++;
        }
        _stack.Add((height, hash));
        Count++;
    }

    /// <summary>The root over the leaves added so far (RFC 6962 MTH).</summary>
    public byte[] Root()
    {
        if (_stack.Count == 0) return SHA256.HashData(ReadOnlySpan<byte>.Empty);
        // Right to left: the smaller trailing subtrees hang under the larger ones, as MTH's split does.
        var hash = _stack[^1].Hash;
        for (var i = _stack.Count - 2; i >= 0; i--) hash = NodeHash(_stack[i].Hash, hash);
        return hash;
    }

    public string RootHex() => Convert.ToHexStringLower(Root());

    public static byte[] LeafHash(ReadOnlySpan<byte> data)
    {
        var buffer = new byte[data.Length + 1];
        data.CopyTo(buffer.AsSpan(1));
        return SHA256.HashData(buffer);
    }

    public static byte[] NodeHash(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right)
    {
        Span<byte> buffer = stackalloc byte[1 + left.Length + right.Length];
        buffer[0] = 1;
        left.CopyTo(buffer[1..]);
        right.CopyTo(buffer[(1 + left.Length)..]);
        return SHA256.HashData(buffer);
    }

    /// <summary>The root of a list of leaves, in the given order.</summary>
    public static string RootHex(IEnumerable<byte[]> leaves)
    {
        var tree = new MerkleTree();
        foreach (var leaf in leaves) tree.Add(leaf);
        return tree.RootHex();
    }
}

/// <summary>The ledger's Merkle tree over stream heads: one leaf per stream, in <see cref="StreamOrder"/>.</summary>
public static class StreamHeads
{
    /// <summary>
    /// Stream keys ordered by Unicode code point (the byte order of their UTF-8, PostgreSQL's <c>COLLATE "C"</c>);
    /// not culture order, and not UTF-16 order, which differs for characters above U+FFFF.
    /// </summary>
    public static readonly IComparer<string> StreamOrder = Comparer<string>.Create(CompareCodePoints);

    public static int CompareCodePoints(string? a, string? b)
    {
        if (ReferenceEquals(a, b)) return 0;
        if (a is null) return -1;
        if (b is null) return 1;
        var ea = a.EnumerateRunes();
        var eb = b.EnumerateRunes();
        while (true)
        {
            var ha = ea.MoveNext();
            var hb = eb.MoveNext();
            if (!ha || !hb) return ha == hb ? 0 : ha ? 1 : -1;
            var c = ea.Current.Value.CompareTo(eb.Current.Value);
            if (c != 0) return c;
        }
    }

    /// <summary>A head's leaf data: the canonical JSON <c>{"hash":…,"stream":…,"version":…}</c>.</summary>
    public static byte[] Leaf(StreamHead head)
    {
        var output = new ArrayBufferWriter<byte>(96 + head.Stream.Length);
        output.Write("{\"hash\":"u8);
        CanonicalJson.WriteString(output, head.Hash);
        output.Write(",\"stream\":"u8);
        CanonicalJson.WriteString(output, head.Stream);
        output.Write(",\"version\":"u8);
        CanonicalJson.WriteInteger(output, head.Version);
        output.Write("}"u8);
        return output.WrittenSpan.ToArray();
    }

    /// <summary>The root over <paramref name="heads"/>, which are sorted here; stream keys must be distinct.</summary>
    public static string Root(IEnumerable<StreamHead> heads)
    {
        var sorted = heads.ToList();
        sorted.Sort((x, y) => CompareCodePoints(x.Stream, y.Stream));
        var tree = new MerkleTree();
        for (var i = 0; i < sorted.Count; i++)
        {
            if (i > 0 && sorted[i - 1].Stream == sorted[i].Stream)
                throw new FormatException($"Stream '{sorted[i].Stream}' has two heads.");
            tree.Add(Leaf(sorted[i]));
        }
        return tree.RootHex();
    }

    /// <summary>Encoding used for stream keys in the leaf; exposed for the specification's examples.</summary>
    public static string LeafText(StreamHead head) => Encoding.UTF8.GetString(Leaf(head));
}
