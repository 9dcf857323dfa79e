using System.Security.Cryptography;
using DthGrains.Integration.Tests.Infrastructure;
using DthGrains.Silo.Identity;

namespace DthGrains.Integration.Tests.Identity;

public sealed class StandaloneSigningKeyTests
{
    [Fact]
    public void A_silo_that_finds_the_key_written_by_another_one_starting_at_the_same_moment_adopts_it()
    {
        var path = StandaloneSigningKey.DefaultPath(TestPostgres.NewTemporaryFolder("signing-key"));
        var first = StandaloneSigningKey.WriteOrAdopt(path, ECDsa.Create(ECCurve.NamedCurves.nistP256));

        // The second silo checked for the file before the first one wrote it, and now writes its own.
        var second = StandaloneSigningKey.WriteOrAdopt(path, ECDsa.Create(ECCurve.NamedCurves.nistP256));

        second.ExportParameters(false).Q.X.Should().Equal(first.ExportParameters(false).Q.X);
        StandaloneSigningKey.LoadOrCreate(path).ECDsa.ExportParameters(false).Q.X.Should().Equal(first.ExportParameters(false).Q.X);
        Directory.GetFiles(Path.GetDirectoryName(path)!).Should().ContainSingle("no temporary file is left behind");
    }
}
