using System.Buffers;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace DthGrains.Domain.Provenance;

/// <summary>
/// The ledger's canonical JSON (schemas/ledger/CANONICAL-FORM.md): RFC 8785 (JCS) with one deliberate change,
/// numbers keep their exact decimal value instead of being rounded to an IEEE double. No whitespace; object
/// members sorted by the UTF-16 code units of their names; strings escaped as JCS does; UTF-8 output.
/// Pure and allocation-light: the same JSON value gives the same bytes in every process, whatever the key
/// order, whitespace, escapes or number spelling (1.50, 1.5e0) of its input.
/// </summary>
public static class CanonicalJson
{
    private static readonly JsonDocumentOptions ParseOptions = new() { MaxDepth = 64, AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow };

    /// <summary>The canonical bytes of one JSON text.</summary>
    /// <exception cref="FormatException">The text is not JSON, has a duplicate member name or a string that is not valid Unicode.</exception>
    public static byte[] Canonicalize(ReadOnlySpan<byte> utf8Json)
    {
        var buffer = new ArrayBufferWriter<byte>(Math.Max(64, utf8Json.Length));
        Write(buffer, utf8Json);
        return buffer.WrittenSpan.ToArray();
    }

    public static byte[] Canonicalize(string json) => Canonicalize(Encoding.UTF8.GetBytes(json));

    public static string CanonicalString(string json) => Encoding.UTF8.GetString(Canonicalize(json));

    /// <summary>Writes the canonical form of <paramref name="utf8Json"/> to <paramref name="output"/>.</summary>
    public static void Write(IBufferWriter<byte> output, ReadOnlySpan<byte> utf8Json) => Write(output, (ReadOnlyMemory<byte>)utf8Json.ToArray());

    /// <summary>As above, parsing the caller's memory in place (no copy of a large body).</summary>
    public static void Write(IBufferWriter<byte> output, ReadOnlyMemory<byte> utf8Json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8Json, ParseOptions);
        }
        catch (JsonException ex)
        {
            throw new FormatException("Not valid JSON: " + ex.Message, ex);
        }
        using (document) Write(output, document.RootElement);
    }

    public static void Write(IBufferWriter<byte> output, JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                WriteObject(output, value.EnumerateObject().Select(p => (p.Name, p.Value)));
                break;
            case JsonValueKind.Array:
                Raw(output, "["u8);
                var first = true;
                foreach (var item in value.EnumerateArray())
                {
                    if (!first) Raw(output, ","u8);
                    first = false;
                    Write(output, item);
                }
                Raw(output, "]"u8);
                break;
            case JsonValueKind.String:
                // A string stored without escapes is already in canonical form (JCS escapes only what JSON must escape),
                // once its UTF-8 is known to be valid: write its bytes as they are. Long base64 payloads take this path.
                var raw = JsonMarshal.GetRawUtf8Value(value);
                if (!raw.Contains((byte)'\\') && System.Text.Unicode.Utf8.IsValid(raw))
                {
                    Raw(output, raw);
                    break;
                }
                string text;
                try
                {
                    text = value.GetString()!;
                }
                catch (InvalidOperationException ex)
                {
                    throw new FormatException("A JSON string is not valid Unicode.", ex);
                }
                WriteString(output, text);
                break;
            case JsonValueKind.Number:
                WriteAscii(output, NormalizeNumber(value.GetRawText()));
                break;
            case JsonValueKind.True:
                Raw(output, "true"u8);
                break;
            case JsonValueKind.False:
                Raw(output, "false"u8);
                break;
            case JsonValueKind.Null:
                Raw(output, "null"u8);
                break;
            default:
                throw new FormatException($"Unexpected JSON value kind {value.ValueKind}.");
        }
    }

    /// <summary>Writes an object whose members are given in any order; names must be distinct.</summary>
    public static void WriteObject(IBufferWriter<byte> output, IEnumerable<(string Name, JsonElement Value)> members)
    {
        var sorted = members.ToList();
        sorted.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        Raw(output, "{"u8);
        for (var i = 0; i < sorted.Count; i++)
        {
            if (i > 0)
            {
                if (string.Equals(sorted[i - 1].Name, sorted[i].Name, StringComparison.Ordinal))
                    throw new FormatException($"Duplicate member name '{sorted[i].Name}'.");
                Raw(output, ","u8);
            }
            WriteString(output, sorted[i].Name);
            Raw(output, ":"u8);
            Write(output, sorted[i].Value);
        }
        Raw(output, "}"u8);
    }

    /// <summary>A JSON string as JCS writes it: only <c>"</c>, <c>\</c> and control characters escaped, the rest as UTF-8.</summary>
    public static void WriteString(IBufferWriter<byte> output, string text)
    {
        Raw(output, "\""u8);
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsSurrogate(c))
            {
                var paired = char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]);
                if (!paired) throw new FormatException("A JSON string contains a lone surrogate.");
                i++;
                continue;
            }
            if (c >= 0x20 && c != '"' && c != '\\') continue;
            Utf8(output, text.AsSpan(start, i - start));
            start = i + 1;
            switch (c)
            {
                case '"': Raw(output, "\\\""u8); break;
                case '\\': Raw(output, "\\\\"u8); break;
                case '\b': Raw(output, "\\b"u8); break;
                case '\f': Raw(output, "\\f"u8); break;
                case '\n': Raw(output, "\\n"u8); break;
                case '\r': Raw(output, "\\r"u8); break;
                case '\t': Raw(output, "\\t"u8); break;
                default: WriteAscii(output, "\\u" + ((int)c).ToString("x4", CultureInfo.InvariantCulture)); break;
            }
        }
        Utf8(output, text.AsSpan(start));
        Raw(output, "\""u8);
    }

    public static void WriteInteger(IBufferWriter<byte> output, long value) =>
        WriteAscii(output, value.ToString(CultureInfo.InvariantCulture));

    /// <summary>
    /// The canonical spelling of a JSON number literal, exact: the value's shortest decimal digits laid out by the
    /// ECMAScript Number-to-String rules that RFC 8785 uses (plain notation from 1e-6 up to 1e21, exponent
    /// notation outside). For every literal that is the shortest form of a double this equals RFC 8785's output.
    /// </summary>
    public static string NormalizeNumber(string literal)
    {
        var s = literal.AsSpan();
        var negative = false;
        var i = 0;
        if (i < s.Length && s[i] == '-')
        {
            negative = true;
            i++;
        }
        var digits = new StringBuilder(s.Length);
        long exponent = 0;
        var sawDigit = false;
        while (i < s.Length && char.IsAsciiDigit(s[i]))
        {
            digits.Append(s[i++]);
            sawDigit = true;
        }
        if (i < s.Length && s[i] == '.')
        {
            i++;
            while (i < s.Length && char.IsAsciiDigit(s[i]))
            {
                digits.Append(s[i++]);
                exponent--;
                sawDigit = true;
            }
        }
        if (!sawDigit) throw new FormatException($"'{literal}' is not a JSON number.");
        if (i < s.Length && (s[i] == 'e' || s[i] == 'E'))
        {
            i++;
            var expNegative = false;
            if (i < s.Length && (s[i] == '+' || s[i] == '-')) expNegative = s[i++] == '-';
            long e = 0;
            var any = false;
            while (i < s.Length && char.IsAsciiDigit(s[i]))
            {
                e = e * 10 + (s[i++] - '0');
                any = true;
                if (e > 1_000_000_000) throw new FormatException($"The exponent of '{literal}' is out of range.");
            }
            if (!any) throw new FormatException($"'{literal}' is not a JSON number.");
            exponent += expNegative ? -e : e;
        }
        if (i != s.Length) throw new FormatException($"'{literal}' is not a JSON number.");

        var d = digits.ToString().TrimStart('0');
        if (d.Length == 0) return "0";
        var trimmed = d.TrimEnd('0');
        exponent += d.Length - trimmed.Length;
        d = trimmed;

        var k = d.Length;
        var n = k + exponent; // the value is 0.d × 10^n
        string body;
        if (k <= n && n <= 21) body = d + new string('0', (int)(n - k));
        else if (0 < n && n <= 21) body = d[..(int)n] + "." + d[(int)n..];
        else if (-6 < n && n <= 0) body = "0." + new string('0', (int)-n) + d;
        else
        {
            var e = n - 1;
            body = d[..1] + (k > 1 ? "." + d[1..] : "") + "e" + (e >= 0 ? "+" : "-") + Math.Abs(e).ToString(CultureInfo.InvariantCulture);
        }
        return negative ? "-" + body : body;
    }

    private static void Raw(IBufferWriter<byte> output, ReadOnlySpan<byte> bytes) => output.Write(bytes);

    private static void WriteAscii(IBufferWriter<byte> output, string ascii)
    {
        var span = output.GetSpan(ascii.Length);
        for (var i = 0; i < ascii.Length; i++) span[i] = (byte)ascii[i];
        output.Advance(ascii.Length);
    }

    private static void Utf8(IBufferWriter<byte> output, ReadOnlySpan<char> text)
    {
        if (text.IsEmpty) return;
        var span = output.GetSpan(Encoding.UTF8.GetMaxByteCount(text.Length));
        var written = Encoding.UTF8.GetBytes(text, span);
        output.Advance(written);
    }
}
