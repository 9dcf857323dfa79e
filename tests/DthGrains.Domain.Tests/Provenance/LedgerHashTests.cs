using System.Text;
using DthGrains.Domain.Provenance;

namespace DthGrains.Domain.Tests.Provenance;

public sealed class LedgerHashTests
{
    private const string Body = """
        {"updatedAt":"2026-11-25T10:00:00+00:00","id":"charite",
         "details":{"website":"https://www.charite.de","type":"hospital","name":"Charit\u00e9 \u2013 Universit\u00e4tsmedizin Berlin","country":"DE","tags":[1.50,2e1,-0.0]}}
        """;

    private const string Headers = """
        {"actor_sub":"alice","actor_name":"Alice \"A\" M\u00fcller","actor_roles":"platform-admin","recorded_at":"2026-11-25T10:00:00.0000000Z",
         "actor_institution":"bsc","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","hash":"ignored","prev_hash":"ignored"}
        """;

    private const string Previous = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    private static LedgerEventContent Golden(string body = Body, string headers = Headers) => new(
        "organisation:charite", 2, "ecosystem.organisation_updated",
        Encoding.UTF8.GetBytes(body), Encoding.UTF8.GetBytes(headers), "corr-1", null, Previous);

    /// <summary>Pins the format: this hash was computed independently (Python, schemas/ledger/CANONICAL-FORM.md). Never change it.</summary>
    [Fact]
    public void The_golden_event_hashes_to_the_pinned_value()
    {
        Encoding.UTF8.GetString(LedgerHash.CanonicalBytes(Golden())).Should().Be(
            """{"body":{"details":{"country":"DE","name":"Charité – Universitätsmedizin Berlin","tags":[1.5,20,0],"type":"hospital","website":"https://www.charite.de"},"id":"charite","updatedAt":"2026-11-25T10:00:00+00:00"},"envelope":{"actor_institution":"bsc","actor_name":"Alice \"A\" Müller","actor_roles":"platform-admin","actor_sub":"alice","correlation_id":"corr-1","recorded_at":"2026-11-25T10:00:00.0000000Z","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736"},"format":"dthgrains.ledger/1","prev":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855","stream":"organisation:charite","type":"ecosystem.organisation_updated","version":2}""");
        LedgerHash.Compute(Golden()).Should().Be("a686dd7ce60a67d66a3af13df2d283215338cbe89e7403a4793c5092ec544094");
    }

    /// <summary>
    /// The hash is taken while the canonical form is written, through a 16 KB buffer: for bodies smaller and far larger
    /// than it (long strings, raw and escaped, non-ASCII text and many numbers crossing its edges), it is the SHA-256 of
    /// <see cref="LedgerHash.CanonicalBytes"/>.
    /// </summary>
    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(60)]
    [InlineData(700)]
    public void The_hash_is_the_SHA256_of_the_canonical_bytes_whatever_the_body_size(int repeats)
    {
        var items = Enumerable.Range(0, repeats).Select(i => string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $$"""{"n":{{i * 1.25e-3}},"b64":"{{Convert.ToBase64String(Enumerable.Range(0, 97 + i).Select(j => (byte)(i * 31 + j * 7)).ToArray())}}","t":"Universit\u00e4t \"{{i}}\" \u2013 line\\n{{new string('x', i % 50)}}","v":[{{string.Join(',', Enumerable.Range(0, 40).Select(j => ((i - j) * 0.1).ToString(System.Globalization.CultureInfo.InvariantCulture)))}}]}"""));
        var body = $$"""{"id":"run-1","items":[{{string.Join(',', items)}}]}""";
        var e = Golden(body);
        LedgerHash.Compute(e).Should().Be(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(LedgerHash.CanonicalBytes(e))));
    }

    [Fact]
    public void The_hashing_writer_hashes_whatever_spans_it_is_asked_for_in_whatever_pieces()
    {
        var rng = new Random(7);
        var data = new byte[200_000];
        rng.NextBytes(data);
        using var writer = new Sha256Writer();
        for (int round = 0; round < 2; round++)
        {
            // Pieces of 0 to 40,000 bytes, some asked for with a size hint wider than the buffer, by span and by memory.
            for (int at = 0; at < data.Length;)
            {
                int n = Math.Min(data.Length - at, rng.Next(0, 40_000));
                int hint = rng.Next(3) switch { 0 => 0, 1 => n, _ => n + rng.Next(1, 30_000) };
                var target = rng.Next(2) == 0 ? writer.GetSpan(hint) : writer.GetMemory(hint).Span;
                target.Length.Should().BeGreaterThanOrEqualTo(Math.Max(1, hint));
                int take = Math.Min(n, target.Length);
                data.AsSpan(at, take).CopyTo(target);
                writer.Advance(take);
                at += take;
            }
            writer.HexHashAndReset().Should().Be(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(data)), $"round {round}: the writer starts again empty");
        }
        FluentActions.Invoking(() => writer.Advance(1 << 20)).Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void Key_order_and_spelling_of_body_and_headers_do_not_matter_but_every_value_does()
    {
        var reordered = Golden(
            """{"id":"charite","details":{"country":"DE","name":"Charité – Universitätsmedizin Berlin","tags":[1.5,20,0],"type":"hospital","website":"https://www.charite.de"},"updatedAt":"2026-11-25T10:00:00+00:00"}""",
            """{"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","recorded_at":"2026-11-25T10:00:00.0000000Z","actor_roles":"platform-admin","actor_name":"Alice \"A\" Müller","actor_institution":"bsc","actor_sub":"alice"}""");
        LedgerHash.Compute(reordered).Should().Be(LedgerHash.Compute(Golden()));

        var golden = LedgerHash.Compute(Golden());
        LedgerHash.Compute(Golden() with { Version = 3 }).Should().NotBe(golden);
        LedgerHash.Compute(Golden() with { Stream = "organisation:charitf" }).Should().NotBe(golden);
        LedgerHash.Compute(Golden() with { EventType = "ecosystem.organisation_registered" }).Should().NotBe(golden);
        LedgerHash.Compute(Golden() with { PreviousHash = LedgerHash.Genesis }).Should().NotBe(golden);
        LedgerHash.Compute(Golden() with { CorrelationId = "corr-2" }).Should().NotBe(golden);
        LedgerHash.Compute(Golden() with { CausationId = "cause" }).Should().NotBe(golden);
        LedgerHash.Compute(Golden(Body.Replace("\"DE\"", "\"FR\""))).Should().NotBe(golden);
        LedgerHash.Compute(Golden(headers: Headers.Replace("alice", "mallory"))).Should().NotBe(golden);
    }

    [Fact]
    public void The_hash_headers_themselves_are_not_hashed()
    {
        var without = Headers.Replace(""","hash":"ignored","prev_hash":"ignored" """.Trim(), "");
        LedgerHash.Compute(Golden(headers: without)).Should().Be(LedgerHash.Compute(Golden()));
    }

    [Fact]
    public void A_header_named_like_an_envelope_column_is_refused() =>
        FluentActions.Invoking(() => LedgerHash.Compute(Golden(headers: """{"correlation_id":"x"}""")))
            .Should().Throw<FormatException>();
}
