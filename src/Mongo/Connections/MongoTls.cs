using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MongoDB.Driver;

namespace Archiver.Mongo.Connections;

/// <summary>
/// What a client needs to reach a replica set that requires TLS with certificates from a private CA (cert-manager's,
/// as KubeDB issues them): the CA (PEM, one or more certificates), and the client certificate with its private key
/// (PEM) that mongod asks for when it runs with <c>--tlsCAFile</c>.
/// </summary>
public sealed record MongoTlsMaterial(string CaPem, string CertificatePem, string PrivateKeyPem)
{
    // A record prints every member: the private key must never reach a log line or an assertion message.
    public override string ToString() => $"MongoTlsMaterial {{ CA and client certificate {Fingerprint()[..16]}, private key redacted }}";

    /// <summary>Identifies the material without holding the key: two clients for the same URI share only with the same certificate.</summary>
    public string Fingerprint() =>
        Convert.ToHexString(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(CaPem + "\n" + CertificatePem)));
}

/// <summary>
/// Turns TLS on in a driver's settings (<see cref="FormatException"/> when the PEM text makes no certificate): the client presents its certificate, and the server's certificate must chain
/// to the given CA (not to the machine's roots, which never hold a cluster's private CA) and name the host connected
/// to. Revocation is not checked: a private CA publishes no revocation list; cert-manager rotates instead.
/// </summary>
public static class MongoTls
{
    public static MongoClientSettings Apply(MongoClientSettings settings, MongoTlsMaterial material)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(material);
        var roots = new X509Certificate2Collection();
        try
        {
            roots.ImportFromPem(material.CaPem);
        }
        catch (CryptographicException e)
        {
            throw new FormatException($"the CA certificate is not PEM: {e.Message}", e);
        }

        if (roots.Count == 0) throw new FormatException("the CA certificate holds no PEM certificate");
        X509Certificate2 client;
        try
        {
            // Through PKCS#12 so the key is usable by the TLS stack on every platform (an ephemeral PEM key is not on Windows).
            using var fromPem = X509Certificate2.CreateFromPem(material.CertificatePem, material.PrivateKeyPem);
            client = X509CertificateLoader.LoadPkcs12(fromPem.Export(X509ContentType.Pkcs12), null);
        }
        catch (CryptographicException e)
        {
            throw new FormatException($"the client certificate and private key do not make a certificate with a private key: {e.Message}", e);
        }

        settings.UseTls = true;
        settings.SslSettings = new SslSettings
        {
            ClientCertificates = [client],
            CheckCertificateRevocation = false,
            ServerCertificateValidationCallback = (_, certificate, presented, errors) => Trusted(certificate, presented, errors, roots),
        };
        return settings;
    }

    private static bool Trusted(X509Certificate? certificate, X509Chain? presented, SslPolicyErrors errors, X509Certificate2Collection roots)
    {
        // The host name check stays the platform's; only the chain is judged against the private CA.
        if (certificate is null || (errors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable)) != 0)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.ExtraStore.AddRange(roots);
        // Intermediates the server sent, for a CA that issues through one.
        if (presented is not null)
        {
            foreach (var element in presented.ChainElements)
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        // As the platform's own check: a certificate the CA issued for clients only does not serve.
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid(ServerAuthentication));
        using var server = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        try
        {
            return chain.Build(server);
        }
        finally
        {
            foreach (var element in chain.ChainElements)
            {
                element.Certificate.Dispose();
            }
        }
    }

    private const string ServerAuthentication = "1.3.6.1.5.5.7.3.1";
}
