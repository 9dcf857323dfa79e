using DthGrains.Simulation.Models;
using DthGrains.Simulation.Scenarios;
using DthGrains.Simulation.Units;

namespace DthGrains.Simulation.Tests.Scenarios;

public class UnitTests
{
    [Theory]
    [InlineData(1, "U/h", "mU/min", 1000.0 / 60)]
    [InlineData(0.5, "U/min", "U/h", 30)]
    [InlineData(1500, "mg", "g", 1.5)]
    [InlineData(5.5, "mmol/L", "mg/dL", 5.5 * 18.0156)]
    [InlineData(100, "mg/dL", "mmol/L", 100 / 18.0156)]
    [InlineData(2, "h", "min", 120)]
    [InlineData(10, "µU/mL", "pmol/L", 60)]
    public void Conversions_within_a_dimension(double value, string from, string to, double expected) =>
        Quantity.Of(value, from).In(UnitRegistry.Parse(to)).Should().BeApproximately(expected, 1e-9 * Math.Max(1, expected));

    [Fact]
    public void Converting_across_dimensions_is_an_error()
    {
        var act = () => Quantity.Of(1, "U/h").In(UnitRegistry.Gram);
        act.Should().Throw<UnitMismatchException>().WithMessage("*U/h*insulin rate*g*mass*");
    }

    [Fact]
    public void A_meal_given_in_insulin_units_is_rejected_with_what_was_expected()
    {
        var s = Scenario.Create("wrong", 100).Bolus(10, "meal", 50, "U").Build();
        var act = () => CompiledScenario.Compile(new HovorkaModel().Info, s);
        act.Should().Throw<UnitMismatchException>()
            .WithMessage("Input 'meal' of model 'hovorka-2004' expects mass (for example g); got 50 U (insulin amount).");
    }

    [Fact]
    public void A_basal_rate_in_U_per_hour_equals_the_same_rate_in_mU_per_minute()
    {
        var model = new HovorkaModel();
        var a = CompiledScenario.Compile(model.Info, Scenario.Create("a", 60).Rate(0, "insulin", 1.2, "U/h").Build());
        var b = CompiledScenario.Compile(model.Info, Scenario.Create("b", 60).Rate(0, "insulin", 20, "mU/min").Build());
        Span<double> ua = stackalloc double[3], ub = stackalloc double[3];
        a.SegmentInputs(0, new double[3], ua);
        b.SegmentInputs(0, new double[3], ub);
        ua[0].Should().BeApproximately(ub[0], 1e-12);
    }

    [Fact]
    public void A_rate_where_an_amount_is_expected_is_rejected()
    {
        var s = Scenario.Create("wrong", 100).Rate(10, "insulin_bolus", 1, "U/h").Build();
        var act = () => CompiledScenario.Compile(new HovorkaModel().Info, s);
        act.Should().Throw<ArgumentException>().WithMessage("*insulin_bolus*bolus input*");
    }

    [Fact]
    public void Unknown_units_and_inputs_are_errors()
    {
        ((Action)(() => UnitRegistry.Parse("furlong"))).Should().Throw<ArgumentException>().WithMessage("Unknown unit 'furlong'*");
        var s = Scenario.Create("wrong", 100).Meal(10, 50).Build();
        ((Action)(() => CompiledScenario.Compile(new PkPdModel().Info, s))).Should().Throw<ArgumentException>().WithMessage("*no input 'meal'*");
    }

    [Fact]
    public void Scenario_times_in_hours_are_converted_to_model_minutes()
    {
        var s = Scenario.Create("h", 24, "h").Meal(7, 50).Build();
        var c = CompiledScenario.Compile(new HovorkaModel().Info, s);
        c.Breakpoints.Should().Equal(0, 420, 1440);
    }

    [Fact]
    public void Infusions_create_breakpoints_and_add_to_the_level()
    {
        var model = new BergmanMinimalModel();
        var s = Scenario.Create("pulse", 100).Rate(0, "insulin", 1, "mU/min").Infusion(30, "insulin", 200, "mU/min", 5).Build();
        var c = CompiledScenario.Compile(model.Info, s);
        c.Breakpoints.Should().Equal(0, 30, 35, 100);
        Span<double> u = stackalloc double[4];
        c.SegmentInputs(1, new double[4], u);
        u[0].Should().Be(201);
        c.SegmentInputs(2, new double[4], u);
        u[0].Should().Be(1);
    }
}
