using System.Buffers;
using System.Text.Json;
using DthGrains.Fhir.Outcomes;

namespace DthGrains.Fhir.Datasets;

/// <summary>
/// The cheap first pass over an upload: streams the bytes through <see cref="Utf8JsonReader"/> in small chunks,
/// checking size, nesting depth, entry count, JSON syntax (truncation included), the root resourceType and that every
/// string is text PostgreSQL can store (valid UTF-8, no unpaired surrogate escape, no NUL), before anything builds a
/// FHIR object tree. A seekable stream is scanned without keeping its bytes, then re-read once when
/// it passed; other streams are kept chunk by chunk as they are scanned, so either way memory stays within the limits.
/// </summary>
internal static class BundleScanner
{
    private const int ChunkSize = 64 * 1024;
    private static readonly byte[] EntryName = "entry"u8.ToArray();
    private static readonly byte[] ResourceTypeName = "resourceType"u8.ToArray();
    private static readonly byte[] Utf8Bom = [0xEF, 0xBB, 0xBF];

    internal readonly record struct ScanResult(byte[]? Bytes, int Entries, DatasetBundleResult? Failure);

    public static ScanResult Scan(Stream stream, DatasetBundleLimits limits, CancellationToken ct)
    {
        bool seekable = stream.CanSeek;
        long start = seekable ? stream.Position : 0;
        List<byte[]>? kept = seekable ? null : [];
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
        var state = new Walk();
        try
        {
            var readerState = new JsonReaderState(new JsonReaderOptions { MaxDepth = limits.MaxDepth + 1, CommentHandling = JsonCommentHandling.Disallow });
            int filled = 0, bom = 0;
            long total = 0, scanned = 0;
            bool first = true;
            while (true)
            {
                ct.ThrowIfCancellationRequested();
                int read = stream.Read(buffer, filled, buffer.Length - filled);
                bool final = read == 0;
                total += read;
                if (total > limits.MaxBytes)
                    return Fail(413, IssueCodes.TooCostly, $"The bundle is larger than the limit of {limits.MaxBytes:N0} bytes.", "Bundle");
                if (read > 0 && kept is not null) kept.Add(buffer.AsSpan(filled, read).ToArray());
                filled += read;
                if (first && (filled >= 3 || final))
                {
                    // Some clients (Windows tools, PowerShell) send a UTF-8 byte order mark; JSON readers do not skip it.
                    first = false;
                    if (buffer.AsSpan(0, filled).StartsWith(Utf8Bom))
                    {
                        bom = 3;
                        Buffer.BlockCopy(buffer, 3, buffer, 0, filled - 3);
                        filled -= 3;
                    }
                }
                else if (first) continue;

                var reader = new Utf8JsonReader(buffer.AsSpan(0, filled), final, readerState);
                while (reader.Read())
                {
                    var failure = state.Accept(ref reader, limits, scanned + bom);
                    if (failure is not null) return new ScanResult(null, state.Entries, failure);
                }
                readerState = reader.CurrentState;
                int consumed = (int)reader.BytesConsumed;
                scanned += consumed;
                if (final) break;
                Buffer.BlockCopy(buffer, consumed, buffer, 0, filled - consumed);
                filled -= consumed;
                if (filled == buffer.Length)
                {
                    // One token longer than the buffer (a long string): grow; the byte limit above bounds this.
                    var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    Buffer.BlockCopy(buffer, 0, larger, 0, filled);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }
            }

            if (state.RootType is null)
                return Fail(400, IssueCodes.Invalid, "The root object has no resourceType; a Bundle is expected.", "Bundle");
            if (state.RootType != "Bundle")
                return Fail(400, IssueCodes.Invalid, $"Expected a resource of type Bundle at the root, found '{state.RootType}'.", "Bundle");

            byte[] bytes;
            if (kept is not null) bytes = Concat(kept, total, bom);
            else
            {
                stream.Position = start + bom;
                bytes = new byte[total - bom];
                stream.ReadExactly(bytes);
            }
            return new ScanResult(bytes, state.Entries, null);
        }
        catch (JsonException e)
        {
            // Utf8JsonReader reports truncation ("expected depth to be zero", "end of data") and syntax errors here.
            string where = e.LineNumber is { } line ? $" (line {line + 1}, byte {e.BytePositionInLine + 1})" : "";
            return Fail(400, IssueCodes.Structure, $"The body is not valid JSON{where}: {FirstSentence(e.Message)}", "Bundle");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static string FirstSentence(string message)
    {
        // The reader's message repeats the position as "LineNumber: 0 | BytePositionInLine: 92."; ours is 1-based.
        int cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }

    private static byte[] Concat(List<byte[]> chunks, long total, int skip)
    {
        var bytes = new byte[total - skip];
        int at = 0;
        foreach (var c in chunks)
        {
            int from = Math.Min(skip, c.Length);
            skip -= from;
            Buffer.BlockCopy(c, from, bytes, at, c.Length - from);
            at += c.Length - from;
        }
        return bytes;
    }

    private static ScanResult Fail(int status, string code, string diagnostics, string expression) =>
        new(null, 0, DatasetBundleResult.Fail(status, code, diagnostics, expression));

    /// <summary>
    /// Why a string cannot be stored, or null. The reader checks the UTF-8 of a string only when it is decoded, which
    /// the FHIR parser does later and answers with an exception (a 500); PostgreSQL refuses NUL in text and jsonb.
    /// </summary>
    private static string? Unstorable(ref Utf8JsonReader r)
    {
        if (!r.ValueIsEscaped) return System.Text.Unicode.Utf8.IsValid(r.ValueSpan) ? null : "is not valid UTF-8; send the bundle encoded as UTF-8";
        string text;
        try
        {
            text = r.GetString()!;
        }
        catch (InvalidOperationException)
        {
            return "holds an escaped surrogate without its pair (\\uD800 to \\uDFFF must come in pairs) or invalid UTF-8";
        }
        return text.Contains('\0', StringComparison.Ordinal) ? "holds the NUL character (\\u0000), which cannot be stored; remove it" : null;
    }

    /// <summary>What the token walk has seen so far; a class so that it survives across chunks.</summary>
    private sealed class Walk
    {
        private bool _expectRootType, _expectEntryArray, _inEntries;

        public string? RootType { get; private set; }
        public int Entries { get; private set; }

        /// <param name="bufferStart">Where the reader's buffer starts in the body, in bytes (for the position of a refusal).</param>
        public DatasetBundleResult? Accept(ref Utf8JsonReader r, DatasetBundleLimits limits, long bufferStart)
        {
            if (r.TokenType is JsonTokenType.String or JsonTokenType.PropertyName && Unstorable(ref r) is { } why)
                return DatasetBundleResult.Fail(400, IssueCodes.Invalid, $"The string at byte {bufferStart + r.TokenStartIndex + 1:N0} {why}.", "Bundle");
            int depth = r.CurrentDepth;
            switch (r.TokenType)
            {
                case JsonTokenType.StartObject:
                case JsonTokenType.StartArray:
                    if (depth == 0 && r.TokenType != JsonTokenType.StartObject)
                        return DatasetBundleResult.Fail(400, IssueCodes.Invalid, "The body must be a JSON object (a FHIR Bundle).", "Bundle");
                    if (depth + 1 > limits.MaxDepth)
                        return DatasetBundleResult.Fail(413, IssueCodes.TooCostly, $"JSON nesting deeper than the limit of {limits.MaxDepth}.", "Bundle");
                    if (_expectEntryArray && depth == 1 && r.TokenType == JsonTokenType.StartArray) _inEntries = true;
                    else if (_inEntries && depth == 2 && r.TokenType == JsonTokenType.StartObject && ++Entries > limits.MaxEntries)
                        return DatasetBundleResult.Fail(413, IssueCodes.TooCostly, $"The bundle has more than the limit of {limits.MaxEntries:N0} entries.", "Bundle.entry");
                    _expectEntryArray = false;
                    _expectRootType = false;
                    break;
                case JsonTokenType.EndArray:
                    if (depth == 1) _inEntries = false;
                    break;
                case JsonTokenType.PropertyName:
                    if (depth == 1)
                    {
                        _expectRootType = r.ValueTextEquals(ResourceTypeName);
                        _expectEntryArray = r.ValueTextEquals(EntryName);
                    }
                    break;
                case JsonTokenType.String when _expectRootType:
                    RootType = r.GetString();
                    if (RootType != "Bundle")
                        return DatasetBundleResult.Fail(400, IssueCodes.Invalid, $"Expected a resource of type Bundle at the root, found '{RootType}'.", "Bundle");
                    _expectRootType = false;
                    break;
                default:
                    if (depth == 0 && r.TokenType is not JsonTokenType.EndObject)
                        return DatasetBundleResult.Fail(400, IssueCodes.Invalid, "The body must be a JSON object (a FHIR Bundle).", "Bundle");
                    if (_expectRootType)
                        return DatasetBundleResult.Fail(400, IssueCodes.Invalid, "resourceType must be a string.", "Bundle");
                    _expectEntryArray = false;
                    break;
            }
            return null;
        }
    }
}
