using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Archiver.Emulators.Cluster.CertManager;

/// <summary>
/// Makes the certificates cert-manager's issuers make (cert-manager <c>pkg/util/pki</c>: GenerateTemplate,
/// BuildKeyUsages, SignCertificate), with System.Security.Cryptography instead of Go's crypto/x509: a fresh key per
/// issuance (rotationPolicy Always), the subject <c>CN={commonName}</c>, subject alternative names from dnsNames,
/// ipAddresses, uris and emailAddresses (critical when the subject is empty), basic constraints always present and
/// critical, key usages critical (plus <c>cert sign</c> for a CA), extended usages when asked, a 128-bit random serial,
/// the subject key identifier on CAs and the authority key identifier from the signer's, a lifetime that ends no later
/// than the signing CA's, and the signature algorithm by the signer's key (SHA-256 for RSA below 3072 bits and P-256,
/// SHA-384 for RSA 3072 and P-384, SHA-512 for RSA 4096 and more and P-521).
/// </summary>
internal static class CertificateSigner
{
    private static readonly Dictionary<string, X509KeyUsageFlags> KeyUsages = new(StringComparer.Ordinal)
    {
        ["signing"] = X509KeyUsageFlags.DigitalSignature,
        ["digital signature"] = X509KeyUsageFlags.DigitalSignature,
        ["content commitment"] = X509KeyUsageFlags.NonRepudiation,
        ["key encipherment"] = X509KeyUsageFlags.KeyEncipherment,
        ["key agreement"] = X509KeyUsageFlags.KeyAgreement,
        ["data encipherment"] = X509KeyUsageFlags.DataEncipherment,
        ["cert sign"] = X509KeyUsageFlags.KeyCertSign,
        ["crl sign"] = X509KeyUsageFlags.CrlSign,
        ["encipher only"] = X509KeyUsageFlags.EncipherOnly,
        ["decipher only"] = X509KeyUsageFlags.DecipherOnly,
    };

    private static readonly Dictionary<string, string> ExtendedUsages = new(StringComparer.Ordinal)
    {
        ["any"] = "2.5.29.37.0",
        ["server auth"] = "1.3.6.1.5.5.7.3.1",
        ["client auth"] = "1.3.6.1.5.5.7.3.2",
        ["code signing"] = "1.3.6.1.5.5.7.3.3",
        ["email protection"] = "1.3.6.1.5.5.7.3.4",
        ["s/mime"] = "1.3.6.1.5.5.7.3.4",
        ["ipsec end system"] = "1.3.6.1.5.5.7.3.5",
        ["ipsec tunnel"] = "1.3.6.1.5.5.7.3.6",
        ["ipsec user"] = "1.3.6.1.5.5.7.3.7",
        ["timestamping"] = "1.3.6.1.5.5.7.3.8",
        ["ocsp signing"] = "1.3.6.1.5.5.7.3.9",
        ["microsoft sgc"] = "1.3.6.1.4.1.311.10.3.3",
        ["netscape sgc"] = "2.16.840.1.113730.4.1",
    };

    public static bool KnownUsage(string usage) => KeyUsages.ContainsKey(usage) || ExtendedUsages.ContainsKey(usage);

    public static AsymmetricAlgorithm NewKey(CertificateSpec spec) => spec.KeyAlgorithm == "ECDSA"
        ? ECDsa.Create(spec.KeySize switch { 384 => ECCurve.NamedCurves.nistP384, 521 => ECCurve.NamedCurves.nistP521, _ => ECCurve.NamedCurves.nistP256 })
        : RSA.Create(spec.KeySize);

    /// <summary><c>tls.key</c>: PKCS#1 (<c>RSA PRIVATE KEY</c>, or SEC 1 <c>EC PRIVATE KEY</c>) or PKCS#8 (<c>PRIVATE KEY</c>).</summary>
    public static string KeyPem(AsymmetricAlgorithm key, string encoding) => (encoding, key) switch
    {
        ("PKCS8", _) => key.ExportPkcs8PrivateKeyPem(),
        (_, RSA rsa) => rsa.ExportRSAPrivateKeyPem(),
        (_, ECDsa ec) => ec.ExportECPrivateKeyPem(),
        _ => throw new ArgumentException($"unsupported key {key.GetType().Name}"),
    };

    /// <summary>A private key from PEM (any of the encodings above), or null when it is none.</summary>
    public static AsymmetricAlgorithm? ReadKey(string pem)
    {
        foreach (var make in new Func<AsymmetricAlgorithm>[] { RSA.Create, ECDsa.Create })
        {
            var key = make();
            try
            {
                key.ImportFromPem(pem);
                return key;
            }
            catch (Exception e) when (e is ArgumentException or CryptographicException)
            {
                key.Dispose();
            }
        }

        return null;
    }

    /// <summary>Whether <paramref name="key"/> is the private half of the certificate's public key.</summary>
    public static bool Matches(X509Certificate2 certificate, AsymmetricAlgorithm key) =>
        certificate.PublicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(new PublicKey(key).ExportSubjectPublicKeyInfo());

    /// <param name="issuer">The signing CA's certificate, or null for a self-signed certificate (signed by <paramref name="subjectKey"/>).</param>
    public static X509Certificate2 Sign(CertificateSpec spec, AsymmetricAlgorithm subjectKey, X509Certificate2? issuer, AsymmetricAlgorithm signerKey, DateTimeOffset now)
    {
        var subject = new X500DistinguishedName(spec.CommonName.Length > 0 ? $"CN={Escape(spec.CommonName)}" : "");
        var request = new CertificateRequest(subject, new PublicKey(subjectKey), Hash(signerKey));
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(spec.IsCA, false, 0, true));
        var usage = spec.Usages.Where(KeyUsages.ContainsKey).Aggregate(X509KeyUsageFlags.None, (all, u) => all | KeyUsages[u]);
        if (spec.IsCA) usage |= X509KeyUsageFlags.KeyCertSign;
        if (usage != X509KeyUsageFlags.None) request.CertificateExtensions.Add(new X509KeyUsageExtension(usage, true));
        var extended = new OidCollection();
        foreach (var oid in spec.Usages.Where(ExtendedUsages.ContainsKey).Select(u => ExtendedUsages[u]).Distinct()) extended.Add(new Oid(oid));
        if (extended.Count > 0) request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(extended, false));
        if (spec.DnsNames.Count + spec.IpAddresses.Count + spec.Uris.Count + spec.EmailAddresses.Count > 0)
        {
            var names = new SubjectAlternativeNameBuilder();
            foreach (var name in spec.DnsNames) names.AddDnsName(name);
            foreach (var address in spec.IpAddresses) names.AddIpAddress(IPAddress.Parse(address));
            foreach (var uri in spec.Uris) names.AddUri(new Uri(uri));
            foreach (var email in spec.EmailAddresses) names.AddEmailAddress(email);
            request.CertificateExtensions.Add(names.Build(critical: spec.CommonName.Length == 0));
        }

        if (spec.IsCA) request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        if (issuer?.Extensions.OfType<X509SubjectKeyIdentifierExtension>().Any() == true)
        {
            request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        }

        var notAfter = now + spec.Duration;
        if (issuer is not null && notAfter > issuer.NotAfter) notAfter = issuer.NotAfter;
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        var generator = signerKey switch
        {
            RSA rsa => X509SignatureGenerator.CreateForRSA(rsa, RSASignaturePadding.Pkcs1),
            ECDsa ec => X509SignatureGenerator.CreateForECDsa(ec),
            _ => throw new ArgumentException($"unsupported signing key {signerKey.GetType().Name}"),
        };
        return request.Create(issuer?.SubjectName ?? subject, generator, now, notAfter, serial);
    }

    private static HashAlgorithmName Hash(AsymmetricAlgorithm signer) => signer.KeySize switch
    {
        521 or >= 4096 => HashAlgorithmName.SHA512,
        384 or >= 3072 => HashAlgorithmName.SHA384,
        _ => HashAlgorithmName.SHA256,
    };

    /// <summary>RFC 4514 escaping of an attribute value, so a common name with commas stays one value.</summary>
    private static string Escape(string value) =>
        string.Concat(value.Select(c => c is ',' or '+' or '"' or '\\' or '<' or '>' or ';' or '=' ? $"\\{c}" : c.ToString()));
}
