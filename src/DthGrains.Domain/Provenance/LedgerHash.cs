using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;

namespace DthGrains.Domain.Provenance;

/// <summary>
/// What the ledger hashes for one event: its place (stream, version), its stable type name, its body and
/// envelope exactly as stored, and the hash of its predecessor in the stream.
/// </summary>
/// <param name="HeadersJson">the stored headers object (the envelope); <c>hash</c> and <c>prev_hash</c> are ignored.</param>
/// <param name="CorrelationId">stored in its own column, part of the envelope.</param>
/// <param name="CausationId">stored in its own column, part of the envelope.</param>
/// <param name="PreviousHash">the predecessor's hash, <see cref="LedgerHash.Genesis"/> for version 1.</param>
public readonly record struct LedgerEventContent(
    string Stream,
    long Version,
    string EventType,
    ReadOnlyMemory<byte> BodyJson,
    ReadOnlyMemory<byte> HeadersJson,
    string? CorrelationId,
    string? CausationId,
    string PreviousHash);

/// <summary>
/// The hash chain's one hash function (schemas/ledger/CANONICAL-FORM.md): lower-case hex SHA-256 over the
/// canonical JSON of <c>{body, envelope, format, prev, stream, type, version}</c>.
/// </summary>
public static class LedgerHash
{
    /// <summary>Names this canonical form; it is part of every hashed object, so a future form can never collide with it.</summary>
    public const string Format = "dthgrains.ledger/1";

    /// <summary>The <c>prev</c> of a stream's first event.</summary>
    public const string Genesis = "0000000000000000000000000000000000000000000000000000000000000000";

    /// <summary>The event header that holds the event's own hash.</summary>
    public const string HashHeader = "hash";

    /// <summary>The event header that holds the predecessor's hash.</summary>
    public const string PreviousHashHeader = "prev_hash";

    /// <summary>Envelope members taken from their own columns rather than from the headers.</summary>
    public const string CorrelationMember = "correlation_id";
    public const string CausationMember = "causation_id";

    /// <summary>SHA-256 of <see cref="CanonicalBytes"/>, hashed as the canonical form is written (<see cref="Sha256Writer"/>).</summary>
    public static string Compute(in LedgerEventContent e)
    {
        using var hash = new Sha256Writer();
        WriteCanonical(hash, e);
        return hash.HexHashAndReset();
    }

    /// <summary>The exact bytes that are hashed (for the specification's examples and for debugging).</summary>
    public static byte[] CanonicalBytes(in LedgerEventContent e)
    {
        var output = new ArrayBufferWriter<byte>(256 + e.BodyJson.Length + e.HeadersJson.Length);
        WriteCanonical(output, e);
        return output.WrittenSpan.ToArray();
    }

    private static void WriteCanonical(IBufferWriter<byte> output, in LedgerEventContent e)
    {
        output.Write("{\"body\":"u8);
        CanonicalJson.Write(output, e.BodyJson);
        output.Write(",\"envelope\":"u8);
        WriteEnvelope(output, e);
        output.Write(",\"format\":"u8);
        CanonicalJson.WriteString(output, Format);
        output.Write(",\"prev\":"u8);
        CanonicalJson.WriteString(output, e.PreviousHash);
        output.Write(",\"stream\":"u8);
        CanonicalJson.WriteString(output, e.Stream);
        output.Write(",\"type\":"u8);
        CanonicalJson.WriteString(output, e.EventType);
        output.Write(",\"version\":"u8);
        CanonicalJson.WriteInteger(output, e.Version);
        output.Write("}"u8);
    }

    private static void WriteEnvelope(IBufferWriter<byte> output, in LedgerEventContent e)
    {
        var members = new List<(string, JsonElement)>();
        JsonDocument? headers = null;
        try
        {
            if (!e.HeadersJson.IsEmpty)
            {
                try
                {
                    headers = JsonDocument.Parse(e.HeadersJson);
                }
                catch (JsonException ex)
                {
                    throw new FormatException("The stored headers are not valid JSON: " + ex.Message, ex);
                }
                if (headers.RootElement.ValueKind == JsonValueKind.Object)
                {
                    foreach (var p in headers.RootElement.EnumerateObject())
                    {
                        if (p.Name is HashHeader or PreviousHashHeader) continue;
                        if (p.Name is CorrelationMember or CausationMember)
                            throw new FormatException($"'{p.Name}' is reserved for the envelope and may not be a header.");
                        members.Add((p.Name, p.Value));
                    }
                }
                else if (headers.RootElement.ValueKind != JsonValueKind.Null)
                {
                    throw new FormatException("The stored headers are not a JSON object.");
                }
            }
            if (e.CorrelationId is not null) members.Add((CorrelationMember, StringElement(e.CorrelationId)));
            if (e.CausationId is not null) members.Add((CausationMember, StringElement(e.CausationId)));
            CanonicalJson.WriteObject(output, members);
        }
        finally
        {
            headers?.Dispose();
        }
    }

    private static JsonElement StringElement(string value) => JsonSerializer.SerializeToElement(value);

    /// <summary>True for a well-formed hash: 64 lower-case hex digits.</summary>
    public static bool IsWellFormed(string? hash) =>
        hash is { Length: 64 } && hash.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f');
}
