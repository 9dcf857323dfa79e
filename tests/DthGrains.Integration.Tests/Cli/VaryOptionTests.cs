using System.Text.Json;
using DthGrains.Cli.Catalogue;
using DthGrains.Cli.Runs;

namespace DthGrains.Integration.Tests.Cli;

/// <summary>How <c>dth run submit --vary</c> becomes the request's ranges and uncertain parameters, and what it refuses.</summary>
public sealed class VaryOptionTests
{
    private static string Json(object value) => JsonSerializer.Serialize(value);

    [Fact]
    public void Several_values_comma_separated_are_the_same_as_repeated_options()
    {
        var repeated = RunCommands.ParseVary(["CL=0.3", "Vc=0.25", "EC50=1e-1"], "sensitivity");
        var commas = RunCommands.ParseVary(["CL=0.3, Vc=0.25,EC50=1e-1"], "sensitivity");
        var mixed = RunCommands.ParseVary(["CL=0.3,Vc=0.25", "EC50=1e-1"], "sensitivity");

        repeated.Uncertain.Should().HaveCount(3);
        Json(commas.Uncertain).Should().Be(Json(repeated.Uncertain));
        Json(mixed.Uncertain).Should().Be(Json(repeated.Uncertain));
        Json(repeated.Uncertain[2]).Should().Be("""{"parameter":"EC50","cv":0.1}""");
        commas.Ranges.Should().BeEmpty();

        var sweep = RunCommands.ParseVary(["SIT=0.0005:0.002,EGP0=0.01:0.02"], "sweep");
        Json(sweep.Ranges).Should().Be("""[{"parameter":"SIT","lower":0.0005,"upper":0.002},{"parameter":"EGP0","lower":0.01,"upper":0.02}]""");
    }

    [Theory]
    [InlineData("CL", "--vary CL:")]
    [InlineData("=0.3", "--vary =0.3:")]
    [InlineData("CL=high", "--vary CL=high:")]
    [InlineData("CL=1:2:3", "--vary CL=1:2:3:")]
    public void A_value_that_is_neither_form_is_named_with_both_forms(string value, string named)
    {
        var act = () => RunCommands.ParseVary([value], "monte-carlo");
        act.Should().Throw<UsageException>().Which.Message.Should().StartWith(named).And.Contain("PARAM=CV or PARAM=LOW:HIGH");
    }

    [Theory]
    [InlineData("sweep", new string[0], "--vary PARAM=LOW:HIGH")]
    [InlineData("sweep", new[] { "SIT=0.2" }, "--vary PARAM=LOW:HIGH")]
    [InlineData("monte-carlo", new string[0], "--vary PARAM=CV")]
    [InlineData("monte-carlo", new[] { "SIT=0.001:0.002" }, "--vary PARAM=CV")]
    [InlineData("sensitivity", new string[0], "either around their values")]
    [InlineData("sensitivity", new[] { "CL=0.3", "EC50=1:2" }, "all of one form")]
    public void A_kind_without_the_form_it_varies_by_is_told_which_option_to_give(string kind, string[] values, string advice)
    {
        var act = () => RunCommands.ParseVary(values, kind);
        act.Should().Throw<UsageException>().Which.Message.Should().Contain(advice);
    }

    [Theory]
    [InlineData("cohort-trial")]
    [InlineData("single")]
    public void Kinds_that_vary_nothing_pass_no_variation(string kind)
    {
        var (ranges, uncertain) = RunCommands.ParseVary([], kind);
        ranges.Should().BeEmpty();
        uncertain.Should().BeEmpty();
    }
}
