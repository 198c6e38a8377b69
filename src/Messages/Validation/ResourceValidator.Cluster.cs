using Archiver.Messages.Manifests;
using Archiver.Messages.Resources;

namespace Archiver.Messages.Validation;

public static partial class ResourceValidator
{
    /// <summary>
    /// The rules that depend on the node that will use the resource, as a node in a cluster sees them from where this
    /// runs: what <c>archiver validate --in-cluster</c> (run in a node's pod) and a cluster node's API add to
    /// <see cref="Validate"/>. A local storage must name a volume for the database pods, and be mounted in the node
    /// (<see cref="LocalStorageInCluster"/>). A MongoDB that asks to be archived or restored (<c>spec.archiver</c>,
    /// <c>spec.init.archiver</c>) must not be a standalone: KubeDB provisions it from its spec (<see cref="MongoDB.IsStandalone"/>).
    /// </summary>
    public static IReadOnlyList<FieldError> ValidateInCluster(Resource resource, Func<string, string?>? folderProblem = null)
    {
        if (resource is MongoDB db)
        {
            return db.IsStandalone() && (db.Spec?.Archiver is not null || db.Spec?.Init?.Archiver is not null)
                ? [new FieldError("spec.replicaSet", MongoDB.StandaloneReason)]
                : [];
        }

        if (resource is not BackupStorage { Spec.Storage: { Provider: StorageProvider.Local, Local: { } local } }) return [];
        List<FieldError> errors = [];
        if (LocalStorageInCluster.VolumeProblem(local) is { } volume) errors.Add(new FieldError("spec.storage.local", volume));
        if (LocalStorageInCluster.Problem(local, folderProblem) is { } folder) errors.Add(new FieldError("spec.storage.local.mountPath", folder));
        return errors;
    }
}
