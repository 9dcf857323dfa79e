using System.Text;
using DthGrains.Domain.Provenance;

namespace DthGrains.Domain.Tests.Provenance;

public sealed class CanonicalJsonTests
{
    [Fact]
    public void The_rfc_8785_example_canonicalizes_as_the_rfc_says_except_for_the_one_number_beyond_double_precision()
    {
        const string input = """
            {
              "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
              "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
              "literals": [null, true, false]
            }
            """;
        // RFC 8785 section 3.2.4 gives 333333333.3333333 (rounded through a double); the ledger keeps the exact value.
        CanonicalJson.CanonicalString(input).Should().Be(
            "{\"literals\":[null,true,false],\"numbers\":[333333333.33333329,1e+30,4.5,0.002,1e-27],\"string\":\"€$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}");
    }

    [Fact]
    public void Key_order_whitespace_and_escapes_do_not_change_the_bytes()
    {
        var a = CanonicalJson.Canonicalize("""{"b":1,"a":{"y":[1,2,{"k":"é"}],"x":null}}""");
        var b = CanonicalJson.Canonicalize("""
            { "a" : { "x" : null , "y" : [ 1 , 2.0 , { "k" : "\u00e9" } ] } ,
              "b" : 1E0 }
            """);
        b.Should().Equal(a);
        Encoding.UTF8.GetString(a).Should().Be("""{"a":{"x":null,"y":[1,2,{"k":"é"}]},"b":1}""");
    }

    [Fact]
    public void Members_are_sorted_by_utf16_code_units()
    {
        // RFC 8785 section 3.2.3: "\r" < "1" < "\u0080" < "\u00f6" < "\u20ac" < "\ud83d\ude00" < "\ufb33".
        const string input = """{"\u20ac":"Euro","\r":"CR","\ufb33":"Hebrew","1":"One","\ud83d\ude00":"Smiley","\u0080":"Control","\u00f6":"Latin"}""";
        CanonicalJson.CanonicalString(input).Should().Be(
            "{\"\\r\":\"CR\",\"1\":\"One\",\"\u0080\":\"Control\",\"ö\":\"Latin\",\"€\":\"Euro\",\"😀\":\"Smiley\",\"דּ\":\"Hebrew\"}");
    }

    [Theory]
    [InlineData("0", "0")]
    [InlineData("-0", "0")]
    [InlineData("0.0e5", "0")]
    [InlineData("1.0", "1")]
    [InlineData("1.50", "1.5")]
    [InlineData("-12.3400", "-12.34")]
    [InlineData("100", "100")]
    [InlineData("1e2", "100")]
    [InlineData("1E+2", "100")]
    [InlineData("0.001", "0.001")]
    [InlineData("1e-6", "0.000001")]
    [InlineData("1e-7", "1e-7")]
    [InlineData("1.5e-7", "1.5e-7")]
    [InlineData("1e20", "100000000000000000000")]
    [InlineData("1e21", "1e+21")]
    [InlineData("123456789012345678901234", "1.23456789012345678901234e+23")]
    [InlineData("9007199254740993", "9007199254740993")]
    [InlineData("79228162514264337593543950335", "7.9228162514264337593543950335e+28")]
    [InlineData("0.1", "0.1")]
    [InlineData("5e-324", "5e-324")]
    public void Numbers_are_written_exactly_in_the_ecmascript_layout(string literal, string expected) =>
        CanonicalJson.NormalizeNumber(literal).Should().Be(expected);

    [Fact]
    public void Every_double_in_its_shortest_form_is_written_as_rfc_8785_writes_it()
    {
        // ECMAScript's Number.prototype.toString, as computed by node for these values.
        var cases = new (double Value, string Es)[]
        {
            (1e21, "1e+21"), (1e-7, "1e-7"), (123e-20, "1.23e-18"), (0.000001, "0.000001"), (-1.5, "-1.5"),
            (4.35, "4.35"), (1.7976931348623157e308, "1.7976931348623157e+308"), (295147905179352830000.0, "295147905179352830000"),
        };
        foreach (var (value, es) in cases)
            CanonicalJson.NormalizeNumber(value.ToString("R", System.Globalization.CultureInfo.InvariantCulture)).Should().Be(es);
    }

    [Theory]
    [InlineData("""{"a":1,"a":2}""")]
    [InlineData("""{"a":"\ud800"}""")]
    [InlineData("""{"a":1""")]
    [InlineData("""[1,]""")]
    public void Duplicate_members_lone_surrogates_and_broken_json_are_refused(string input) =>
        FluentActions.Invoking(() => CanonicalJson.Canonicalize(input)).Should().Throw<FormatException>();

    [Fact]
    public void Control_characters_use_lower_case_escapes_and_everything_else_is_literal_utf8() =>
        CanonicalJson.CanonicalString("\"\\u0001\\u001F\\t\\u2028/\"").Should().Be("\"\\u0001\\u001f\\t\u2028/\"");

    [Fact]
    public void Unescaped_strings_are_written_as_their_utf8_bytes_and_escaped_ones_as_jcs_writes_them()
    {
        // Long base64 payloads take the raw-bytes path; the bytes must be what the escape-aware path writes.
        var payload = Convert.ToBase64String(Enumerable.Range(0, 3000).Select(i => (byte)(i * 7)).ToArray());
        CanonicalJson.CanonicalString($$"""{"b":"{{payload}}","a":"é€😀"}""").Should().Be($$"""{"a":"é€😀","b":"{{payload}}"}""");
        CanonicalJson.CanonicalString("""{"a":"é\/x"}""").Should().Be("""{"a":"é/x"}""");
    }

    [Fact]
    public void A_string_whose_raw_bytes_are_not_utf8_is_refused()
    {
        // 0xC3 0x28: a lead byte followed by a non-continuation byte, with no escape in sight.
        byte[] json = [(byte)'{', (byte)'"', (byte)'a', (byte)'"', (byte)':', (byte)'"', 0xC3, 0x28, (byte)'"', (byte)'}'];
        FluentActions.Invoking(() => CanonicalJson.Canonicalize(json)).Should().Throw<FormatException>();
    }
}
