using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using DthGrains.Contracts.Platform;
using DthGrains.Contracts.Provenance;

namespace DthGrains.Domain.Provenance;

/// <summary>
/// Signing and checking checkpoints (schemas/ledger/CHECKPOINTS.md): ECDSA P-256 with SHA-256 over the canonical
/// JSON of the checkpoint without its signature and heads; signature in IEEE P1363 form (r‖s), base64url;
/// key id the RFC 7638 JWK thumbprint of the public key.
/// </summary>
public static class CheckpointSignature
{
    /// <summary>The checkpoint's time as signed: UTC, milliseconds, <c>Z</c>.</summary>
    public static string Time(DateTimeOffset t) =>
        t.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>Truncates to what <see cref="Time"/> keeps, so a checkpoint survives a JSON round trip unchanged.</summary>
    public static DateTimeOffset Truncate(DateTimeOffset t) =>
        new(t.UtcTicks - t.UtcTicks % TimeSpan.TicksPerMillisecond, TimeSpan.Zero);

    /// <summary>The bytes that are signed.</summary>
    public static byte[] Payload(LedgerCheckpoint c)
    {
        var output = new ArrayBufferWriter<byte>(256);
        output.Write("{\"events\":"u8);
        CanonicalJson.WriteInteger(output, c.Events);
        output.Write(",\"format\":"u8);
        CanonicalJson.WriteString(output, c.Format);
        output.Write(",\"keyId\":"u8);
        CanonicalJson.WriteString(output, c.KeyId);
        output.Write(",\"maxSequence\":"u8);
        CanonicalJson.WriteInteger(output, c.MaxSequence);
        output.Write(",\"number\":"u8);
        CanonicalJson.WriteInteger(output, c.Number);
        output.Write(",\"root\":"u8);
        CanonicalJson.WriteString(output, c.Root);
        output.Write(",\"streams\":"u8);
        CanonicalJson.WriteInteger(output, c.Streams);
        output.Write(",\"takenAt\":"u8);
        CanonicalJson.WriteString(output, Time(c.TakenAt));
        output.Write("}"u8);
        return output.WrittenSpan.ToArray();
    }

    public static LedgerCheckpoint Sign(LedgerCheckpoint unsigned, ECDsa privateKey)
    {
        var c = unsigned with { KeyId = KeyId(privateKey), Signature = "", TakenAt = Truncate(unsigned.TakenAt) };
        var signature = privateKey.SignData(Payload(c), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return c with { Signature = Base64Url(signature) };
    }

    public static bool VerifySignature(LedgerCheckpoint c, ECDsa publicKey)
    {
        if (!TryBase64Url(c.Signature, out var signature) || signature.Length != 64) return false;
        return publicKey.VerifyData(Payload(c), signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
    }

    /// <summary>The RFC 7638 thumbprint of a P-256 public key, base64url.</summary>
    public static string KeyId(ECDsa key)
    {
        var p = key.ExportParameters(includePrivateParameters: false);
        var jwk = $"{{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"{Base64Url(p.Q.X!)}\",\"y\":\"{Base64Url(p.Q.Y!)}\"}}";
        return Base64Url(SHA256.HashData(Encoding.UTF8.GetBytes(jwk)));
    }

    /// <summary>
    /// Why a checkpoint offered for verification must be refused, or null when it is genuine: malformed (400),
    /// signed by another key, a signature that does not verify, or heads that do not give its root (422).
    /// </summary>
    public static Problem? Check(LedgerCheckpoint c, ECDsa ledgerKey)
    {
        if (c.Format != LedgerCheckpoint.CurrentFormat)
            return Problem.Invalid("format", $"'format' must be '{LedgerCheckpoint.CurrentFormat}'.");
        if (c.Number < 1 || c.Streams < 0 || c.Events < 0 || c.MaxSequence < 0)
            return Problem.Invalid("number", "'number' must be 1 or more, and 'streams', 'events' and 'maxSequence' 0 or more.");
        if (!LedgerHash.IsWellFormed(c.Root))
            return Problem.Invalid("root", "'root' must be 64 lower-case hex digits.");
        if (string.IsNullOrEmpty(c.Signature) || !TryBase64Url(c.Signature, out _))
            return Problem.Invalid("signature", "'signature' must be base64url.");

        var ledgerKeyId = KeyId(ledgerKey);
        if (!string.Equals(c.KeyId, ledgerKeyId, StringComparison.Ordinal))
            return Refuse($"The checkpoint names signing key '{c.KeyId}', but this ledger's key is '{ledgerKeyId}' (/.well-known/dthgrains-ledger-key): it was not signed by this ledger.");
        if (!VerifySignature(c, ledgerKey))
            return Refuse("The checkpoint's signature does not verify with the ledger key: the checkpoint was forged or one of its signed fields was changed.");
        if (c.Heads is { } heads)
        {
            // The heads are not signed (their root is): each must be whole before the root is computed from it.
            for (var i = 0; i < heads.Length; i++)
            {
                var head = heads[i];
                if (head is null || string.IsNullOrEmpty(head.Stream) || head.Version < 1 || !LedgerHash.IsWellFormed(head.Hash))
                    return Problem.Invalid($"heads[{i}]", $"'heads[{i}]' must have a 'stream', a 'version' of 1 or more and a 'hash' of 64 lower-case hex digits.");
            }
            if (heads.Length != c.Streams)
                return Refuse($"The checkpoint lists {heads.Length} stream heads but claims {c.Streams} streams.");
            string root;
            try
            {
                root = StreamHeads.Root(heads);
            }
            catch (FormatException ex)
            {
                return Refuse("The checkpoint's heads are not valid: " + ex.Message);
            }
            if (root != c.Root)
                return Refuse($"The checkpoint's heads give the Merkle root {root}, not the signed root {c.Root}: the heads were edited.");
        }
        return null;
    }

    private static Problem Refuse(string detail) => new(ProblemKind.Unprocessable, "Checkpoint refused", detail);

    public static string Base64Url(ReadOnlySpan<byte> bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static bool TryBase64Url(string? text, out byte[] bytes)
    {
        bytes = [];
        if (text is null || text.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))) return false;
        var padded = text.Replace('-', '+').Replace('_', '/');
        padded += (padded.Length % 4) switch { 2 => "==", 3 => "=", 0 => "", _ => "!" };
        try
        {
            bytes = Convert.FromBase64String(padded);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
