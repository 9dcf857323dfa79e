using System.Text;
using DthGrains.Fhir.Datasets;
using DthGrains.Fhir.Outcomes;
using static DthGrains.Fhir.Tests.TestBundles;

namespace DthGrains.Fhir.Tests.Datasets;

public sealed class DatasetBundleLimitsTests
{
    private static byte[] ManyEntries(int count)
    {
        var sb = new StringBuilder(count * 60);
        sb.Append("{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":[");
        for (int i = 0; i < count; i++)
        {
            if (i > 0) sb.Append(',');
            sb.Append("{\"resource\":{\"resourceType\":\"Patient\",\"id\":\"p").Append(i).Append("\"}}");
        }
        return Encoding.UTF8.GetBytes(sb.Append("]}").ToString());
    }

    private static readonly Lazy<byte[]> HundredThousand = new(() => ManyEntries(100_000));

    private static (DatasetBundleResult Result, long Allocated) Measure(Stream stream, DatasetBundleLimits limits)
    {
        OperationOutcomes.Build(OutcomeSeverity.Information, IssueCodes.Informational, "warm-up"); // one-time FHIR model reflection
        long before = GC.GetAllocatedBytesForCurrentThread();
        var result = DatasetBundleReader.Read(stream, limits);
        return (result, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private static void ShouldBeTooManyEntries(DatasetBundleResult result)
    {
        result.Content.Should().BeNull();
        result.Failure!.StatusCode.Should().Be(413);
        result.Failure.Issues.Single().Should().Match<OutcomeIssue>(i => i.Code == IssueCodes.TooCostly && i.Expression == "Bundle.entry");
    }

    [Fact]
    public void A_100k_entry_bundle_is_413_before_any_fhir_parsing_with_a_small_buffer()
    {
        var bytes = HundredThousand.Value;
        var (result, allocated) = Measure(new MemoryStream(bytes, writable: false), DatasetBundleLimits.Default);

        ShouldBeTooManyEntries(result);
        result.Failure!.Issues.Single().Diagnostics.Should().Contain("50,000");
        // The bundle is ~5 MB; a full FHIR parse would allocate hundreds of MB. The scan only rents one buffer.
        bytes.Length.Should().BeGreaterThan(4_000_000);
        allocated.Should().BeLessThan(256 * 1024);
    }

    [Fact]
    public void On_a_forward_only_stream_the_bytes_kept_stop_at_the_limit()
    {
        var bytes = HundredThousand.Value;
        var (result, allocated) = Measure(new ForwardOnlyStream(new MemoryStream(bytes, writable: false)), DatasetBundleLimits.Default);

        ShouldBeTooManyEntries(result);
        // Kept until the 50,001st entry: about half of the body, never the whole of it.
        allocated.Should().BeLessThan(bytes.Length * 3L / 4);
    }

    [Fact]
    public void The_entry_limit_is_configurable_and_exactly_the_limit_passes()
    {
        var bytes = ManyEntries(10);
        DatasetBundleReader.Read(new MemoryStream(bytes), new DatasetBundleLimits(MaxEntries: 10)).IsSuccess.Should().BeTrue();
        ShouldBeTooManyEntries(DatasetBundleReader.Read(new MemoryStream(bytes), new DatasetBundleLimits(MaxEntries: 9)));
    }

    [Fact]
    public void More_bytes_than_the_limit_is_413()
    {
        var json = SmallCohort.Patients[0].BundleJson;
        var result = DatasetBundleReader.Read(Stream(json), new DatasetBundleLimits(MaxBytes: json.Length - 1));
        result.Failure!.StatusCode.Should().Be(413);
        result.Failure.Issues.Single().Expression.Should().Be("Bundle");
        DatasetBundleReader.Read(Stream(json), new DatasetBundleLimits(MaxBytes: json.Length)).IsSuccess.Should().BeTrue();
    }

    [Fact]
    public void Nesting_deeper_than_the_limit_is_413()
    {
        string deep = "{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"x\":" + new string('[', 40) + new string(']', 40) + "}";
        var result = DatasetBundleReader.Read(Stream(deep), DatasetBundleLimits.Default);
        result.Failure!.StatusCode.Should().Be(413);
        result.Failure.Issues.Single().Code.Should().Be(IssueCodes.TooCostly);
    }

    [Fact]
    public void Invalid_limits_are_refused()
    {
        var act = () => DatasetBundleReader.Read(Stream("{}"), new DatasetBundleLimits(MaxEntries: 0));
        act.Should().Throw<ArgumentOutOfRangeException>();
    }
}
