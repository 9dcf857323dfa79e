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

    [Fact]
    public async Task Dth_token_finds_the_key_in_the_data_folder_that_DTH_DATA_DIR_names_as_ops_run_sh_does()
    {
        var data = TestPostgres.NewTemporaryFolder("token-data");
        var key = StandaloneSigningKey.LoadOrCreate(StandaloneSigningKey.DefaultPath(data)).ECDsa;

        var (code, output, errors) = await DthProcess.RunAsync(new Dictionary<string, string> { ["DTH_DATA_DIR"] = data }, "token", "--role", "researcher", "--institution", "tum");

        code.Should().Be(0, errors);
        var token = new Microsoft.IdentityModel.JsonWebTokens.JsonWebTokenHandler().ValidateTokenAsync(output.Trim(), new Microsoft.IdentityModel.Tokens.TokenValidationParameters
        {
            IssuerSigningKey = new Microsoft.IdentityModel.Tokens.ECDsaSecurityKey(key), ValidateIssuer = false, ValidateAudience = false,
        });
        (await token).IsValid.Should().BeTrue("the token is signed with the key in that folder");
        // A folder without a key: the refusal names the way out.
        var (missing, _, why) = await DthProcess.RunAsync(new Dictionary<string, string> { ["DTH_DATA_DIR"] = TestPostgres.NewTemporaryFolder("token-none") }, "token", "--role", "researcher");
        missing.Should().Be(1, "a missing key file is a usage mistake, not an answer of the platform");
        why.Should().Contain("No signing key at").And.Contain("set DTH_DATA_DIR to the data folder it runs with");
    }
}
