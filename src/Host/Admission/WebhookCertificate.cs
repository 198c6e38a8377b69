using System.Security.Cryptography.X509Certificates;

namespace Archiver.Host.Admission;

/// <summary>
/// The webhook's serving certificate from a mounted <c>kubernetes.io/tls</c> secret (<c>tls.crt</c>, <c>tls.key</c>),
/// read again when the files change, so cert-manager's renewals are served without a restart.
/// </summary>
public sealed class WebhookCertificate(string folder)
{
    private readonly Lock _lock = new();
    private (DateTime Written, X509Certificate2 Certificate)? _current;

    private string CertificateFile => Path.Combine(folder, "tls.crt");

    private string KeyFile => Path.Combine(folder, "tls.key");

    /// <exception cref="FileNotFoundException">The folder has no <c>tls.crt</c> or <c>tls.key</c>.</exception>
    public X509Certificate2 Current()
    {
        var written = Max(File.GetLastWriteTimeUtc(CertificateFile), File.GetLastWriteTimeUtc(KeyFile));
        lock (_lock)
        {
            if (_current is { } current && current.Written == written) return current.Certificate;
            if (!File.Exists(CertificateFile) || !File.Exists(KeyFile))
            {
                throw new FileNotFoundException($"--webhook-cert-dir {folder} must hold tls.crt and tls.key (a kubernetes.io/tls secret)");
            }

            using var pem = X509Certificate2.CreateFromPemFile(CertificateFile, KeyFile);
            // Through PKCS#12 so the key is usable by the TLS stack on every platform.
            var loaded = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
            _current = (written, loaded);
            return loaded;
        }
    }

    private static DateTime Max(DateTime a, DateTime b) => a > b ? a : b;
}
