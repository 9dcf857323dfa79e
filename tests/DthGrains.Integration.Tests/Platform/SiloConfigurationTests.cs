using DthGrains.Grains.Catalogue;
using DthGrains.Silo.Platform;

namespace DthGrains.Integration.Tests.Platform;

/// <summary>A misconfigured silo stops at its start with a message naming the setting, before any database is touched.</summary>
public sealed class SiloConfigurationTests
{
    [Theory]
    [InlineData("--Dth:AlsoHosts:0=inria,hug", "Dth:AlsoHosts:0")]
    [InlineData("--Dth:AdvertisedAddress=silo.inria.fr", "Dth:AdvertisedAddress")]
    [InlineData("--Dth:PayloadDatabases:hug=Host=db.hug.example", "Dth:PayloadDatabases:hug")]
    [InlineData("--Dth:PayloadDatabases:charite= ", "Dth:PayloadDatabases:charite is empty")]
    public async Task A_setting_that_would_misplace_data_or_fail_later_stops_the_start_naming_it(string setting, string named)
    {
        var start = () => DthHost.CreateAsync(["--profile", "standalone", "--ConnectionStrings:Federation=Host=127.0.0.1;Port=1;Database=never", setting]);
        (await start.Should().ThrowAsync<InvalidOperationException>()).Which.Message.Should().Contain(named);
    }

    [Fact]
    public async Task A_payload_database_named_in_capitals_by_an_environment_variable_is_the_hosted_institution_s()
    {
        // Validation passes (the key is inria's); the start then fails only at the unreachable federation database.
        var start = () => DthHost.CreateAsync(["--profile", "standalone", "--ConnectionStrings:Federation=Host=127.0.0.1;Port=1;Database=never;Timeout=1",
            "--Dth:PayloadDatabases:INRIA=Host=db.inria.example"]);
        (await start.Should().ThrowAsync<Exception>()).Which.Should().NotBeOfType<InvalidOperationException>();
    }

    /// <summary>
    /// A partner's silo (the institution profile) keeps each hosted institution's payloads in that institution's own
    /// database and validates the platform's tokens with the platform's key: without either it refuses to start, where it
    /// used to derive a payload database on the federation's server and make a signing key of its own.
    /// </summary>
    [Fact]
    public async Task A_partner_silo_without_its_own_payload_database_or_the_platform_s_key_refuses_to_start()
    {
        var folder = Directory.CreateTempSubdirectory("dth-partner-").FullName;
        try
        {
            var key = Path.Combine(folder, "platform-signing-key.pem");
            const string payload = "--Dth:PayloadDatabases:inria=Host=db.inria.example";
            Func<Task<DthHost>> Start(params string[] settings) => () => DthHost.CreateAsync(["--profile", "institution",
                "--ConnectionStrings:Federation=Host=127.0.0.1;Port=1;Database=never;Timeout=1", "--Dth:Institution=inria", $"--Dth:DataDirectory={folder}", .. settings]);

            (await Start($"--Dth:Identity:SigningKeyPath={key}").Should().ThrowAsync<InvalidOperationException>()).Which.Message.Should()
                .Contain("Dth:PayloadDatabases:inria is not set").And.Contain("DTH__PAYLOADDATABASES__INRIA");
            (await Start(payload, $"--Dth:Identity:SigningKeyPath={key}").Should().ThrowAsync<InvalidOperationException>()).Which.Message.Should()
                .Contain($"there is no key at {key}");
            (await Start(payload).Should().ThrowAsync<InvalidOperationException>()).Which.Message.Should()
                .Contain("there is no key at", "an empty path names the silo's own data folder, where no platform key is");
            File.Exists(key).Should().BeFalse("the silo made no key of its own");

            // With the platform's key, and the payload database named or derivation chosen on purpose, the configuration
            // passes: the start fails only at the unreachable federation database.
            using (var platformKey = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256))
                Silo.Identity.StandaloneSigningKey.WriteOrAdopt(key, platformKey).Dispose();
            foreach (var setting in new[] { payload, "--Dth:DerivePayloadDatabases=true" })
                (await Start(setting, $"--Dth:Identity:SigningKeyPath={key}").Should().ThrowAsync<Exception>()).Which.Should().NotBeOfType<InvalidOperationException>(setting);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Derived_payload_database_names_fit_postgres_and_long_institution_ids_do_not_share_one()
    {
        PayloadDatabases.DerivedName("dthgrains", "charite").Should().Be("dthgrains_payload_charite");
        var odense = PayloadDatabases.DerivedName("dthgrains", "university-hospital-network-of-southern-denmark-odense");
        var esbjerg = PayloadDatabases.DerivedName("dthgrains", "university-hospital-network-of-southern-denmark-esbjerg");
        odense.Should().NotBe(esbjerg);
        System.Text.Encoding.UTF8.GetByteCount(odense).Should().BeLessThanOrEqualTo(63);
        PayloadDatabases.DerivedName("dthgrains", "university-hospital-network-of-southern-denmark-odense").Should().Be(odense, "the same every time");
    }

    [Fact]
    public void A_private_file_is_the_owner_s_alone_from_its_creation_and_never_overwritten()
    {
        var folder = Directory.CreateTempSubdirectory("dth-private-").FullName;
        try
        {
            var path = Path.Combine(folder, "secret");
            PrivateFiles.CreateWithText(path, "s3cret");
            File.ReadAllText(path).Should().Be("s3cret");
            if (!OperatingSystem.IsWindows()) File.GetUnixFileMode(path).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
            var again = () => PrivateFiles.CreateWithText(path, "other");
            again.Should().Throw<IOException>();
            File.ReadAllText(path).Should().Be("s3cret");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
