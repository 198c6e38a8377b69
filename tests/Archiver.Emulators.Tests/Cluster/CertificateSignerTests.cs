using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Archiver.Emulators.Cluster.CertManager;
using Xunit;

namespace Archiver.Emulators.Tests.Cluster;

/// <summary>
/// The cert-manager stand-in's certificates, as cert-manager's pki package makes them: a self-signed CA and a leaf it
/// signs that chains to it, with the extensions, defaults and refusals of cert-manager's API.
/// </summary>
public sealed class CertificateSignerTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_leaf_signed_by_a_self_signed_CA_chains_to_it_with_cert_managers_extensions_and_defaults()
    {
        var caSpec = CertificateSpec.Parse(Certificate("""{"secretName":"ca","isCA":true,"commonName":"the-ca","duration":"87600h","privateKey":{"algorithm":"ECDSA","size":384},"issuerRef":{"name":"self"}}"""));
        var leafSpec = CertificateSpec.Parse(Certificate("""{"secretName":"leaf","dnsNames":["svc.ns.svc"],"ipAddresses":["10.0.0.1"],"usages":["server auth","digital signature","key encipherment"],"issuerRef":{"name":"ca","kind":"Issuer"}}"""));
        using var caKey = CertificateSigner.NewKey(caSpec);
        using var ca = CertificateSigner.Sign(caSpec, caKey, null, caKey, Now);
        using var leafKey = CertificateSigner.NewKey(leafSpec);
        using var leaf = CertificateSigner.Sign(leafSpec, leafKey, ca, caKey, Now);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = Now.UtcDateTime.AddMinutes(1);

        Assert.True(chain.Build(leaf), string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation)));
        Assert.Equal(TimeSpan.FromHours(2160), leafSpec.Duration);
        Assert.Equal(TimeSpan.FromHours(720), leafSpec.RenewBefore);
        Assert.Equal(("RSA", 2048, "PKCS1"), (leafSpec.KeyAlgorithm, leafSpec.KeySize, leafSpec.KeyEncoding));
        Assert.Equal(Now.UtcDateTime.AddHours(2160), leaf.NotAfter.ToUniversalTime());
        Assert.Equal("sha384ECDSA", leaf.SignatureAlgorithm.FriendlyName);
        Assert.Equal("", leaf.Subject);
        var names = leaf.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.True(names.Critical);
        Assert.Equal(["svc.ns.svc"], names.EnumerateDnsNames());
        Assert.Equal("10.0.0.1", names.EnumerateIPAddresses().Single().ToString());
        var constraints = leaf.Extensions.OfType<X509BasicConstraintsExtension>().Single();
        Assert.True(constraints.Critical);
        Assert.False(constraints.CertificateAuthority);
        Assert.Equal(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, leaf.Extensions.OfType<X509KeyUsageExtension>().Single().KeyUsages);
        Assert.Equal("1.3.6.1.5.5.7.3.1", leaf.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single().EnhancedKeyUsages[0].Value);
        Assert.True(ca.Extensions.OfType<X509BasicConstraintsExtension>().Single().CertificateAuthority);
        Assert.Equal(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment | X509KeyUsageFlags.KeyCertSign, ca.Extensions.OfType<X509KeyUsageExtension>().Single().KeyUsages);
        Assert.Equal("CN=the-ca", ca.Subject);
        Assert.Equal(384, ca.GetECDsaPublicKey()!.KeySize);
        Assert.StartsWith("-----BEGIN RSA PRIVATE KEY-----", CertificateSigner.KeyPem(leafKey, "PKCS1"), StringComparison.Ordinal);
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", CertificateSigner.KeyPem(leafKey, "PKCS8"), StringComparison.Ordinal);
        using var read = CertificateSigner.ReadKey(CertificateSigner.KeyPem(caKey, "PKCS1"));
        Assert.True(CertificateSigner.Matches(ca, read!));
        Assert.False(CertificateSigner.Matches(leaf, read!));
    }

    [Fact]
    public void A_leaf_never_outlives_its_CA()
    {
        var caSpec = CertificateSpec.Parse(Certificate("""{"secretName":"ca","isCA":true,"commonName":"ca","duration":"24h","issuerRef":{"name":"self"}}"""));
        var leafSpec = CertificateSpec.Parse(Certificate("""{"secretName":"leaf","commonName":"leaf","issuerRef":{"name":"ca"}}"""));
        using var caKey = CertificateSigner.NewKey(caSpec);
        using var ca = CertificateSigner.Sign(caSpec, caKey, null, caKey, Now);
        using var leafKey = CertificateSigner.NewKey(leafSpec);
        using var leaf = CertificateSigner.Sign(leafSpec, leafKey, ca, caKey, Now);

        Assert.Equal(ca.NotAfter, leaf.NotAfter);
        Assert.False(leaf.Extensions.OfType<X509SubjectAlternativeNameExtension>().Any());
    }

    [Theory]
    [InlineData("""{"issuerRef":{"name":"i"},"commonName":"x"}""", "spec.secretName: Required value: must be specified")]
    [InlineData("""{"secretName":"s","commonName":"x"}""", "spec.issuerRef.name: Required value: must be specified")]
    [InlineData("""{"secretName":"s","issuerRef":{"name":"i"}}""", "spec: Invalid value: \"\": at least one of commonName (from the commonName field or from a literalSubject), dnsNames, uriSANs, ipAddresses, emailSANs or otherNames must be set")]
    [InlineData("""{"secretName":"s","commonName":"x","issuerRef":{"name":"i"},"duration":"59m"}""", "spec.duration: Invalid value: \"59m0s\": certificate duration must be greater than 1h0m0s")]
    [InlineData("""{"secretName":"s","commonName":"x","issuerRef":{"name":"i"},"duration":"2h","renewBefore":"2h"}""", "spec.renewBefore: Invalid value: \"2h0m0s\": certificate duration 2h0m0s must be greater than renewBefore 2h0m0s")]
    [InlineData("""{"secretName":"s","commonName":"x","issuerRef":{"name":"i"},"privateKey":{"algorithm":"RSA","size":1024}}""", "spec.privateKey.size: Invalid value: 1024: must be between 2048 & 8192 for rsa keyAlgorithm")]
    [InlineData("""{"secretName":"s","commonName":"x","issuerRef":{"name":"i"},"privateKey":{"algorithm":"ECDSA","size":512}}""", "spec.privateKey.size: Unsupported value: 512: supported values: \"256\", \"384\", \"521\"")]
    [InlineData("""{"secretName":"s","commonName":"x","issuerRef":{"name":"i"},"usages":["server auth","teleportation"]}""", "spec.usages: Unsupported value: \"teleportation\"")]
    [InlineData("""{"secretName":"s","commonName":"x","issuerRef":{"name":"i"},"duration":"ten days"}""", "spec.duration: Invalid value: \"ten days\": time: invalid duration \"ten days\"")]
    public void What_cert_managers_webhook_refuses_is_refused_with_its_words(string spec, string message)
    {
        var refused = Assert.Throws<ArgumentException>(() => CertificateSpec.Parse(Certificate(spec)));

        Assert.Equal(message, refused.Message);
    }

    [Theory]
    [InlineData("87600h", 87600 * 60)]
    [InlineData("2160h0m0s", 2160 * 60)]
    [InlineData("1h30m", 90)]
    [InlineData("90m", 90)]
    [InlineData("1.5h", 90)]
    public void Go_durations_are_read_as_Go_writes_them(string text, int minutes)
    {
        Assert.Equal(TimeSpan.FromMinutes(minutes), GoDuration.Parse(text));
        Assert.Null(GoDuration.Parse("90"));
        Assert.Equal("1h30m0s", GoDuration.Format(TimeSpan.FromMinutes(90)));
    }

    private static JsonObject Certificate(string spec) => new() { ["spec"] = JsonNode.Parse(spec) };
}
