using Archiver.Emulators.Cluster.Api;

namespace Archiver.Emulators.Cluster.CertManager;

/// <summary>
/// What cert-manager's controller and cainjector watch, through cert-manager's own client (as its pods watch with
/// their service account's token): issuers, certificates, secrets and webhook configurations.
/// </summary>
internal sealed class CertManagerInformers
{
    public CertManagerInformers(ApiClient api, StandInLog log)
    {
        Issuers = new Informer(api, Kind.Issuer, log);
        ClusterIssuers = new Informer(api, Kind.ClusterIssuer, log);
        Certificates = new Informer(api, Kind.Certificate, log);
        Secrets = new Informer(api, Kind.Secret, log);
        MutatingWebhooks = new Informer(api, Kind.MutatingWebhookConfiguration, log);
        ValidatingWebhooks = new Informer(api, Kind.ValidatingWebhookConfiguration, log);
        All = [Issuers, ClusterIssuers, Certificates, Secrets, MutatingWebhooks, ValidatingWebhooks];
    }

    public Informer Issuers { get; }

    public Informer ClusterIssuers { get; }

    public Informer Certificates { get; }

    public Informer Secrets { get; }

    public Informer MutatingWebhooks { get; }

    public Informer ValidatingWebhooks { get; }

    public IReadOnlyList<Informer> All { get; }
}
