using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Archiver.Emulators.MongoDb;

/// <summary>
/// A throw-away private CA issuing what cert-manager's CA issuer gives a KubeDB TLS database: a server certificate for
/// the members and a client certificate (KubeDB's is <c>CN=root,O=kubedb:client</c>), each as the PEM text a
/// <c>kubernetes.io/tls</c> secret holds (<c>ca.crt</c>, <c>tls.crt</c>, <c>tls.key</c>). For tests and demos: keys
/// live in memory and certificates last a day (the CA two).
/// </summary>
public sealed class TestCertificateAuthority : IDisposable
{
    private readonly RSA _key = RSA.Create(2048);
    private readonly X509Certificate2 _certificate;

    public TestCertificateAuthority(string commonName = "mongo-test-ca")
    {
        var request = new CertificateRequest($"CN={commonName},O=archiver-test", _key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        _certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-10), DateTimeOffset.UtcNow.AddDays(2));
    }

    /// <summary>The CA certificate as <c>ca.crt</c> holds it.</summary>
    public string CaPem => _certificate.ExportCertificatePem();

    /// <summary>The CA certificate alone (no key): what a server trusts client certificates by.</summary>
    public X509Certificate2 CaCertificate => X509CertificateLoader.LoadCertificate(_certificate.RawData);

    /// <summary>
    /// A server certificate, by default for the members on this machine (<c>localhost</c> and 127.0.0.1). Tests of
    /// refusals give other names, or <paramref name="forClientsOnly"/> (a certificate the CA issued for client use).
    /// </summary>
    public IssuedCertificate IssueServer(string dnsName = "localhost", bool withLoopbackAddress = true, bool forClientsOnly = false) =>
        Issue($"CN={dnsName},O=archiver-test", X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, forClientsOnly ? ClientAuthentication : ServerAuthentication, san =>
        {
            san.AddDnsName(dnsName);
            if (withLoopbackAddress) san.AddIpAddress(IPAddress.Loopback);
        });

    private const string ServerAuthentication = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuthentication = "1.3.6.1.5.5.7.3.2";

    /// <summary>A client certificate, by default KubeDB's subject for the root user.</summary>
    public IssuedCertificate IssueClient(string subject = "CN=root,O=kubedb:client") =>
        Issue(subject, X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, ClientAuthentication, _ => { });

    private IssuedCertificate Issue(string subject, X509KeyUsageFlags usage, string extendedUsage, Action<SubjectAlternativeNameBuilder> names)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(usage, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(extendedUsage)], false));
        var san = new SubjectAlternativeNameBuilder();
        names(san);
        var built = san.Build();
        if (built.RawData.Length > 2) request.CertificateExtensions.Add(built);
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        using var issued = request.Create(_certificate, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1), serial);
        using var withKey = issued.CopyWithPrivateKey(key);
        // Through PKCS#12 so the key is usable by the TLS stack (an ephemeral key is not on every platform).
        var certificate = X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
        return new IssuedCertificate(certificate, issued.ExportCertificatePem(), key.ExportRSAPrivateKeyPem());
    }

    public void Dispose()
    {
        _certificate.Dispose();
        _key.Dispose();
    }
}

/// <summary>An issued certificate with its private key, and the two as PEM (<c>tls.crt</c>, <c>tls.key</c>).</summary>
public sealed record IssuedCertificate(X509Certificate2 Certificate, string CertificatePem, string PrivateKeyPem);
