namespace Archiver.Emulators.Cluster.Api;

/// <summary>A kind's REST coordinates: where its collections and objects live in the API.</summary>
internal sealed record Kind(string Group, string Version, string Plural, string Name, bool ClusterScoped = false)
{
    public static readonly Kind Namespace = new("", "v1", "namespaces", "Namespace", ClusterScoped: true);
    public static readonly Kind Pod = new("", "v1", "pods", "Pod");
    public static readonly Kind Service = new("", "v1", "services", "Service");
    public static readonly Kind Secret = new("", "v1", "secrets", "Secret");
    public static readonly Kind ConfigMap = new("", "v1", "configmaps", "ConfigMap");
    public static readonly Kind ServiceAccount = new("", "v1", "serviceaccounts", "ServiceAccount");
    public static readonly Kind Event = new("", "v1", "events", "Event");
    public static readonly Kind Claim = new("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim");
    public static readonly Kind StatefulSet = new("apps", "v1", "statefulsets", "StatefulSet");
    public static readonly Kind Job = new("batch", "v1", "jobs", "Job");

    /// <summary>KubeDB's workload since kubedb.com/v1 (kubeops/petset <c>apis/apps/v1/petset_types.go</c>).</summary>
    public static readonly Kind PetSet = new("apps.k8s.appscode.com", "v1", "petsets", "PetSet");

    /// <summary>Read at v1; the API server stand-in keeps objects as written, so every served version lists them all.</summary>
    public static readonly Kind MongoDB = new("kubedb.com", "v1", "mongodbs", "MongoDB");

    public static readonly Kind MutatingWebhookConfiguration = new("admissionregistration.k8s.io", "v1", "mutatingwebhookconfigurations", "MutatingWebhookConfiguration", ClusterScoped: true);

    public static readonly Kind ValidatingWebhookConfiguration = new("admissionregistration.k8s.io", "v1", "validatingwebhookconfigurations", "ValidatingWebhookConfiguration", ClusterScoped: true);

    /// <summary>cert-manager's kinds (cert-manager <c>pkg/apis/certmanager/v1/types_*.go</c>).</summary>
    public static readonly Kind Issuer = new("cert-manager.io", "v1", "issuers", "Issuer");

    public static readonly Kind ClusterIssuer = new("cert-manager.io", "v1", "clusterissuers", "ClusterIssuer", ClusterScoped: true);

    public static readonly Kind Certificate = new("cert-manager.io", "v1", "certificates", "Certificate");

    /// <summary>CSI snapshots' kinds (kubernetes-csi/external-snapshotter <c>client/apis/volumesnapshot/v1/types.go</c>).</summary>
    public static readonly Kind VolumeSnapshotClass = new("snapshot.storage.k8s.io", "v1", "volumesnapshotclasses", "VolumeSnapshotClass", ClusterScoped: true);

    public static readonly Kind VolumeSnapshot = new("snapshot.storage.k8s.io", "v1", "volumesnapshots", "VolumeSnapshot");

    public static readonly Kind VolumeSnapshotContent = new("snapshot.storage.k8s.io", "v1", "volumesnapshotcontents", "VolumeSnapshotContent", ClusterScoped: true);

    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    private string Root => Group.Length == 0 ? $"/api/{Version}" : $"/apis/{Group}/{Version}";

    public bool Namespaced => !ClusterScoped;

    /// <summary>Every object of the kind, in every namespace.</summary>
    public string All => $"{Root}/{Plural}";

    public string Collection(string ns) => Namespaced ? $"{Root}/namespaces/{ns}/{Plural}" : All;

    public string Item(string ns, string name) => $"{Collection(ns)}/{name}";

    public string Status(string ns, string name) => $"{Item(ns, name)}/status";
}
