using DthGrains.Contracts.Provenance;
using DthGrains.Domain.Provenance;

namespace DthGrains.Domain.Tests.Provenance;

public sealed class MerkleTreeTests
{
    // The Certificate Transparency reference vectors for RFC 6962's Merkle tree hash (leaves and roots of trees of size 0 to 8).
    private static readonly byte[][] Leaves =
    [
        [], [0x00], [0x10], [0x20, 0x21], [0x30, 0x31], [0x40, 0x41, 0x42, 0x43],
        [0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57],
        [0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f],
    ];

    private static readonly string[] Roots =
    [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];

    [Fact]
    public void Roots_match_the_rfc_6962_reference_vectors_for_every_size()
    {
        for (var n = 0; n <= Leaves.Length; n++)
            MerkleTree.RootHex(Leaves.Take(n)).Should().Be(Roots[n], "the tree of {0} leaves", n);
    }

    [Fact]
    public void The_stream_head_root_is_pinned_and_independent_of_input_order()
    {
        StreamHead[] heads =
        [
            new("organisation:charite", 2, new string('a', 64)),
            new("person:alice", 1, new string('b', 64)),
            new("initiative:dth", 3, new string('c', 64)),
        ];
        StreamHeads.LeafText(heads[2]).Should().Be("""{"hash":"cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc","stream":"initiative:dth","version":3}""");
        // Computed independently (Python), see schemas/ledger/CHECKPOINTS.md.
        StreamHeads.Root(heads).Should().Be("e814392432b4064d687156cd9052df1f385c412c15fa8bf9a8be0c24ed4a4ac9");
        StreamHeads.Root(heads.Reverse()).Should().Be(StreamHeads.Root(heads));
        StreamHeads.Root(heads.Select(h => h.Stream == "person:alice" ? h with { Version = 2 } : h)).Should().NotBe(StreamHeads.Root(heads));
    }

    [Fact]
    public void Streams_are_ordered_by_code_point_not_by_utf16_or_culture()
    {
        // U+FF5E sorts after U+1F600 in UTF-16 code units (0xFF5E > 0xD83D) but before it by code point.
        string[] keys = ["b", "\U0001F600", "\uFF5E", "B", "a"];
        keys.Order(StreamHeads.StreamOrder).Should().Equal("B", "a", "b", "\uFF5E", "\U0001F600");
    }

    [Fact]
    public void Two_heads_for_one_stream_are_refused() =>
        FluentActions.Invoking(() => StreamHeads.Root([new StreamHead("s", 1, "x"), new StreamHead("s", 2, "y")])).Should().Throw<FormatException>();
}
