namespace Archiver.Emulators.Cluster.Snapshots;

/// <summary>
/// The finalizers and annotations the snapshot controllers put on objects, by external-snapshotter's names
/// (<c>pkg/utils/util.go</c>), and the external-provisioner's own (<c>pkg/controller/controller.go</c>).
/// </summary>
internal static class SnapshotNames
{
    /// <summary>On a content bound to a snapshot, until the sidecar has deleted (or retained) the snapshot behind it.</summary>
    public const string ContentFinalizer = "snapshot.storage.kubernetes.io/volumesnapshotcontent-bound-protection";

    /// <summary>On a snapshot bound to a content whose policy is Delete, until the content is gone.</summary>
    public const string BoundFinalizer = "snapshot.storage.kubernetes.io/volumesnapshot-bound-protection";

    /// <summary>On every snapshot, until nothing is being restored from it when it is deleted.</summary>
    public const string AsSourceFinalizer = "snapshot.storage.kubernetes.io/volumesnapshot-as-source-protection";

    /// <summary>On the source claim while a snapshot of it is not ready.</summary>
    public const string ClaimFinalizer = "snapshot.storage.kubernetes.io/pvc-as-source-protection";

    /// <summary>The external-provisioner's, on a snapshot while a volume is provisioned from it.</summary>
    public const string ProvisionerFinalizer = "provisioner.storage.kubernetes.io/volumesnapshot-as-source-protection";

    public const string IsDefaultClass = "snapshot.storage.kubernetes.io/is-default-class";

    /// <summary>Set by the snapshot controller on a content whose snapshot is being deleted: the sidecar may then act on the content's deletion.</summary>
    public const string BeingDeleted = "snapshot.storage.kubernetes.io/volumesnapshot-being-deleted";

    /// <summary>Set by the sidecar while the driver's CreateSnapshot has not answered: the content is then not deleted.</summary>
    public const string BeingCreated = "snapshot.storage.kubernetes.io/volumesnapshot-being-created";

    /// <summary>The prefix of the class parameters the sidecar keeps to itself (secrets); any other key under it is refused.</summary>
    public const string ReservedParameterPrefix = "csi.storage.k8s.io/";

    /// <summary>The reserved parameters that are allowed: the secrets' names and namespaces (<c>RemovePrefixedParameters</c>).</summary>
    public static readonly IReadOnlySet<string> SecretParameters = new HashSet<string>(StringComparer.Ordinal)
    {
        "snapshotter-secret-name", "snapshotter-secret-namespace", "snapshotter-list-secret-name", "snapshotter-list-secret-namespace",
        "group-snapshotter-secret-name", "group-snapshotter-secret-namespace", "group-snapshotter-get-secret-name", "group-snapshotter-get-secret-namespace",
    };

    /// <summary>A dynamically provisioned content's name (<c>GetDynamicSnapshotContentNameForSnapshot</c>).</summary>
    public static string ContentFor(string snapshotUid) => "snapcontent-" + snapshotUid;
}
