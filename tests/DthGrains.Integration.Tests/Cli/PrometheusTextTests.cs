using DthGrains.Cli.Federation;

namespace DthGrains.Integration.Tests.Cli;

/// <summary>How <c>dth cluster metrics</c> reads a silo's <c>/metrics</c>: samples, labels, sums and histogram quantiles.</summary>
public sealed class PrometheusTextTests
{
    private const string Page = """
        # TYPE dth_runs_ended_total counter
        # HELP dth_runs_ended_total Runs ended
        dth_runs_ended_total{otel_scope_name="DthGrains.Runs",kind="cohort-trial",status="completed"} 7 1733560000000
        dth_runs_ended_total{otel_scope_name="DthGrains.Runs",kind="sweep",status="completed"} 2
        dth_runs_ended_total{otel_scope_name="DthGrains.Runs",kind="sweep",status="failed"} 1
        odd_label{note="say \"hi\", a\\b\nnext"} 1
        dth_t_bucket{kind="a",le="1"} 10
        dth_t_bucket{kind="a",le="2"} 30
        dth_t_bucket{kind="a",le="+Inf"} 40
        dth_t_bucket{kind="b",le="1"} 0
        dth_t_bucket{kind="b",le="2"} 0
        dth_t_bucket{kind="b",le="+Inf"} 0
        up 1
        """;

    [Fact]
    public void Samples_keep_their_labels_with_escapes_and_ignore_comments_and_timestamps()
    {
        var samples = PrometheusText.Parse(Page);
        samples.Should().HaveCount(11);
        samples[0].Name.Should().Be("dth_runs_ended_total");
        samples[0].Label("kind").Should().Be("cohort-trial");
        samples[0].Value.Should().Be(7);
        samples.Single(s => s.Name == "odd_label").Label("note").Should().Be("say \"hi\", a\\b\nnext");
        samples.Single(s => s.Name == "up").Labels.Should().BeEmpty();
        samples.Single(s => s.Name == "dth_t_bucket" && s.Label("kind") == "a" && s.Label("le") == "+Inf").Value.Should().Be(40);
    }

    [Fact]
    public void Sums_are_over_the_samples_whose_labels_match()
    {
        var samples = PrometheusText.Parse(Page);
        PrometheusText.Sum(samples, "dth_runs_ended_total").Should().Be(10);
        PrometheusText.Sum(samples, "dth_runs_ended_total", ("kind", "sweep")).Should().Be(3);
        PrometheusText.Sum(samples, "dth_runs_ended_total", ("kind", "sweep"), ("status", "failed")).Should().Be(1);
        PrometheusText.Sum(samples, "dth_runs_ended_total", ("kind", "single")).Should().Be(0);
    }

    [Fact]
    public void Quantiles_interpolate_within_the_bucket_the_rank_falls_in_as_prometheus_does()
    {
        var samples = PrometheusText.Parse(Page);
        // Rank 20 of 40 falls in (1, 2], which holds ranks 11 to 30: halfway.
        PrometheusText.Quantile(samples, "dth_t", 0.5, ("kind", "a")).Should().BeApproximately(1.5, 1e-12);
        // Rank 5 falls in the first bucket, read from 0.
        PrometheusText.Quantile(samples, "dth_t", 0.125, ("kind", "a")).Should().BeApproximately(0.5, 1e-12);
        // Rank 38 falls in +Inf: the largest finite bound.
        PrometheusText.Quantile(samples, "dth_t", 0.95, ("kind", "a")).Should().Be(2);
        // Summed over both label sets, the same (b counted nothing); b alone has no quantile.
        PrometheusText.Quantile(samples, "dth_t", 0.5).Should().BeApproximately(1.5, 1e-12);
        PrometheusText.Quantile(samples, "dth_t", 0.5, ("kind", "b")).Should().BeNull();
        PrometheusText.Quantile(samples, "dth_none", 0.5).Should().BeNull();
    }

    [Theory]
    [InlineData(null, "-")]
    [InlineData(0.0425, "42.5 ms")]
    [InlineData(1.5, "1.5 s")]
    [InlineData(600.0, "10 min")]
    public void Times_read_in_the_unit_that_suits_them(double? seconds, string expected) =>
        ClusterMetricsCommand.Time(seconds).Should().Be(expected);
}
