namespace Archiver.Messages.Resources;

/// <summary>The API groups and versions of the seed design, and the annotation that ties them together.</summary>
public static class ApiGroups
{
    public const string Archiver = "archiver.kubedb.com";
    public const string Ops = "ops.kubedb.com";
    public const string KubeDb = "kubedb.com";
    public const string KubeStashCore = "core.kubestash.com";
    public const string KubeStashStorage = "storage.kubestash.com";

    public const string ArchiverV1Alpha1 = Archiver + "/v1alpha1";
    public const string OpsV1Alpha1 = Ops + "/v1alpha1";
    public const string KubeDbV1Alpha2 = KubeDb + "/v1alpha2";
    public const string KubeStashCoreV1Alpha1 = KubeStashCore + "/v1alpha1";
    public const string KubeStashStorageV1Alpha1 = KubeStashStorage + "/v1alpha1";

    /// <summary>
    /// Set on a database to the spec-hash of the archiver configuration it was last configured with;
    /// an archiver whose own hash differs reconfigures the database.
    /// </summary>
    public const string SpecHashAnnotation = "archiver.kubedb.com/spec-hash";
}
