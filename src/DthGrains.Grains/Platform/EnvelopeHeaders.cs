using System.Globalization;
using DthGrains.Contracts.Platform;
using DthGrains.Domain.Provenance;
using JasperFx.Events;

namespace DthGrains.Grains.Platform;

/// <summary>
/// Writes and reads the event envelope as Marten event headers. Plain string values only, so the
/// headers read back byte-for-byte as they were written (the ledger hashes them, all but <see cref="Hash"/> and
/// <see cref="PreviousHash"/>, which the one append path adds).
/// </summary>
public static class EnvelopeHeaders
{
    public const string ActorSubject = "actor_sub";
    public const string ActorName = "actor_name";
    public const string ActorInstitution = "actor_institution";
    public const string ActorRoles = "actor_roles";
    public const string TraceId = "trace_id";
    public const string Purpose = "purpose";
    public const string RecordedAt = "recorded_at";
    public const string IdempotencyKey = "idempotency_key";
    public const string IdempotencyFingerprint = "idempotency_fingerprint";
    public const string Hash = LedgerHash.HashHeader;
    public const string PreviousHash = LedgerHash.PreviousHashHeader;

    public static EventEnvelope Create(CommandContext context, DateTimeOffset now) => new(
        context.Actor.Subject,
        context.Actor.Name,
        context.Actor.Institution,
        context.Actor.Roles.IsDefault ? [] : [.. context.Actor.Roles],
        context.CorrelationId,
        context.CausationId,
        context.TraceId,
        context.Purpose,
        now,
        context.IdempotencyKey,
        context.IdempotencyKey is null ? null : context.IdempotencyFingerprint);

    public static void Write(IEvent e, EventEnvelope envelope)
    {
        e.SetHeader(ActorSubject, envelope.ActorSubject);
        e.SetHeader(ActorName, envelope.ActorName);
        e.SetHeader(ActorRoles, string.Join(',', envelope.ActorRoles));
        e.SetHeader(RecordedAt, envelope.RecordedAt.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture));
        if (envelope.ActorInstitution is not null) e.SetHeader(ActorInstitution, envelope.ActorInstitution);
        if (envelope.TraceId is not null) e.SetHeader(TraceId, envelope.TraceId);
        if (envelope.Purpose is not null) e.SetHeader(Purpose, envelope.Purpose);
        if (envelope.IdempotencyKey is not null) e.SetHeader(IdempotencyKey, envelope.IdempotencyKey);
        if (envelope.IdempotencyFingerprint is not null) e.SetHeader(IdempotencyFingerprint, envelope.IdempotencyFingerprint);
        e.CorrelationId = envelope.CorrelationId;
        e.CausationId = envelope.CausationId;
    }

    public static EventEnvelope Read(IEvent e) =>
        Read(key => e.Headers is { } h && h.TryGetValue(key, out var v) && v is not null ? v.ToString() : null, e.CorrelationId, e.CausationId, e.Timestamp);

    /// <summary>Reads the envelope from raw stored headers (string values) and the correlation and causation columns.</summary>
    public static EventEnvelope Read(IReadOnlyDictionary<string, string?> headers, string? correlationId, string? causationId, DateTimeOffset timestamp) =>
        Read(key => headers.TryGetValue(key, out var v) ? v : null, correlationId, causationId, timestamp);

    private static EventEnvelope Read(Func<string, string?> Get, string? correlationId, string? causationId, DateTimeOffset timestamp)
    {
        var roles = Get(ActorRoles);
        var recordedAt = Get(RecordedAt);
        return new EventEnvelope(
            Get(ActorSubject) ?? "unknown",
            Get(ActorName) ?? "unknown",
            Get(ActorInstitution),
            string.IsNullOrEmpty(roles) ? [] : roles.Split(','),
            correlationId ?? "",
            causationId,
            Get(TraceId),
            Get(Purpose),
            // A stored time that does not parse (edited by hand: the hash chain names the row) reads as the storage time,
            // so an auditor's replay shows the tampered row instead of failing.
            DateTimeOffset.TryParse(recordedAt, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var at) ? at : timestamp,
            Get(IdempotencyKey),
            Get(IdempotencyFingerprint));
    }
}
