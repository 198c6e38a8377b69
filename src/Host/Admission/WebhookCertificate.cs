using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Archiver.Host.Admission;

/// <summary>
/// The webhook's serving certificate from a mounted <c>kubernetes.io/tls</c> secret (<c>tls.crt</c>, <c>tls.key</c>),
/// read again when their contents change, so cert-manager's renewals are served without a restart.
/// </summary>
public sealed class WebhookCertificate(string folder)
{
    private readonly Lock _lock = new();
    private (byte[] Hash, X509Certificate2 Certificate)? _current;

    private string CertificateFile => Path.Combine(folder, "tls.crt");

    private string KeyFile => Path.Combine(folder, "tls.key");

    /// <summary>
    /// The certificate, loaded again when the files' contents change. Contents, not times: in a secret volume the
    /// files are links the kubelet never touches (it swaps the <c>..data</c> directory they point through), and a
    /// link's own time is what the platform reports.
    /// </summary>
    /// <exception cref="FileNotFoundException">The folder has no <c>tls.crt</c> or <c>tls.key</c>.</exception>
    public X509Certificate2 Current()
    {
        if (!File.Exists(CertificateFile) || !File.Exists(KeyFile))
        {
            throw new FileNotFoundException($"--webhook-cert-dir {folder} must hold tls.crt and tls.key (a kubernetes.io/tls secret)");
        }

        var certificatePem = File.ReadAllText(CertificateFile);
        var keyPem = File.ReadAllText(KeyFile);
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(certificatePem + "\n" + keyPem));
        lock (_lock)
        {
            if (_current is { } current && current.Hash.AsSpan().SequenceEqual(hash)) return current.Certificate;
            using var pem = X509Certificate2.CreateFromPem(certificatePem, keyPem);
            // Through PKCS#12 so the key is usable by the TLS stack on every platform.
            var loaded = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
            _current = (hash, loaded);
            return loaded;
        }
    }
}
