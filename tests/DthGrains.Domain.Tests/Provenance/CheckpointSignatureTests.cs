using System.Security.Cryptography;
using DthGrains.Contracts.Platform;
using DthGrains.Contracts.Provenance;
using DthGrains.Domain.Provenance;

namespace DthGrains.Domain.Tests.Provenance;

public sealed class CheckpointSignatureTests
{
    private static readonly ECDsa LedgerKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    private static LedgerCheckpoint Signed(ECDsa? key = null)
    {
        StreamHead[] heads = [new("organisation:charite", 2, new string('a', 64)), new("person:alice", 1, new string('b', 64))];
        var unsigned = new LedgerCheckpoint(LedgerCheckpoint.CurrentFormat, 3, new DateTimeOffset(2026, 11, 25, 10, 0, 0, 123, TimeSpan.Zero).AddTicks(4567),
            StreamHeads.Root(heads), heads.Length, 3, 7, "", "", [.. heads]);
        return CheckpointSignature.Sign(unsigned, key ?? LedgerKey);
    }

    [Fact]
    public void A_signed_checkpoint_verifies_and_names_its_key()
    {
        var c = Signed();
        CheckpointSignature.Check(c, LedgerKey).Should().BeNull();
        c.KeyId.Should().Be(CheckpointSignature.KeyId(LedgerKey));
        c.TakenAt.Should().Be(new DateTimeOffset(2026, 11, 25, 10, 0, 0, 123, TimeSpan.Zero), "the signed time keeps milliseconds");
        CheckpointSignature.Check(c.Compact(), LedgerKey).Should().BeNull("the small document verifies without its heads");
    }

    [Fact]
    public void The_key_id_is_the_rfc_7638_thumbprint_of_the_rfc_7517_example_key()
    {
        // The P-256 public key of RFC 7517 appendix A.1; its RFC 7638 thumbprint computed independently (Python hashlib over the
        // members crv, kty, x, y in that order, no whitespace).
        var p = new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint
            {
                X = Convert.FromBase64String("MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4="),
                Y = Convert.FromBase64String("4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM="),
            },
        };
        using var key = ECDsa.Create(p);
        CheckpointSignature.KeyId(key).Should().Be("cn-I_WNMClehiVp51i_0VpOENW1upEerA8sEam5hn-s");
    }

    [Theory]
    [InlineData("root")]
    [InlineData("events")]
    [InlineData("number")]
    [InlineData("takenAt")]
    [InlineData("maxSequence")]
    public void Changing_any_signed_field_breaks_the_signature(string field)
    {
        var c = Signed();
        var edited = field switch
        {
            "root" => c with { Root = new string('0', 64), Heads = null },
            "events" => c with { Events = c.Events - 1 },
            "number" => c with { Number = c.Number + 1 },
            "takenAt" => c with { TakenAt = c.TakenAt.AddSeconds(1) },
            _ => c with { MaxSequence = 1 },
        };
        var problem = CheckpointSignature.Check(edited, LedgerKey);
        problem!.Kind.Should().Be(ProblemKind.Unprocessable);
        problem.Detail.Should().Contain("signature does not verify");
    }

    [Fact]
    public void A_checkpoint_signed_by_another_key_is_refused_whether_it_names_that_key_or_the_ledger_key()
    {
        using var attacker = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var own = Signed(attacker);
        CheckpointSignature.Check(own, LedgerKey)!.Detail.Should().Contain("was not signed by this ledger");

        var impersonating = own with { KeyId = CheckpointSignature.KeyId(LedgerKey) };
        CheckpointSignature.Check(impersonating, LedgerKey)!.Detail.Should().Contain("signature does not verify");

        CheckpointSignature.Check(Signed(), attacker)!.Kind.Should().Be(ProblemKind.Unprocessable, "the genuine checkpoint does not verify under a wrong public key");
    }

    [Fact]
    public void Heads_that_do_not_give_the_signed_root_are_refused()
    {
        var c = Signed();
        var heads = c.Heads!.Value.SetItem(0, c.Heads.Value[0] with { Version = 1 });
        var problem = CheckpointSignature.Check(c with { Heads = heads }, LedgerKey);
        problem!.Kind.Should().Be(ProblemKind.Unprocessable);
        problem.Detail.Should().Contain("heads were edited");

        CheckpointSignature.Check(c with { Heads = heads.RemoveAt(1) }, LedgerKey)!.Detail.Should().Contain("claims 2 streams");
    }

    [Fact]
    public void Malformed_checkpoints_are_400s()
    {
        var c = Signed();
        CheckpointSignature.Check(c with { Format = "other" }, LedgerKey)!.Kind.Should().Be(ProblemKind.Validation);
        CheckpointSignature.Check(c with { Root = "xyz" }, LedgerKey)!.Kind.Should().Be(ProblemKind.Validation);
        CheckpointSignature.Check(c with { Signature = "not base64url!" }, LedgerKey)!.Kind.Should().Be(ProblemKind.Validation);
        CheckpointSignature.Check(c with { Number = 0 }, LedgerKey)!.Kind.Should().Be(ProblemKind.Validation);
    }

    /// <summary>Heads are not signed (their root is): a head missing a member is a 400 naming it, never an exception.</summary>
    [Theory]
    [InlineData("hash")]
    [InlineData("stream")]
    [InlineData("version")]
    [InlineData("whole")]
    public void A_head_missing_a_member_is_a_400_naming_it(string missing)
    {
        var c = Signed();
        var head = c.Heads!.Value[1];
        var broken = missing switch
        {
            "hash" => head with { Hash = null! },
            "stream" => head with { Stream = null! },
            "version" => head with { Version = 0 },
            _ => null!,
        };
        var problem = CheckpointSignature.Check(c with { Heads = c.Heads.Value.SetItem(1, broken) }, LedgerKey);
        problem!.Kind.Should().Be(ProblemKind.Validation);
        problem.Errors!.Keys.Should().Equal("heads[1]");
    }
}
