using Archiver.Messages.Manifests;
using Archiver.Messages.Resources;

namespace Archiver.Messages.Validation;

public static partial class ResourceValidator
{
    /// <summary>
    /// The rules that depend on the node that will use the resource, as a node in a cluster sees them from where this
    /// runs: what <c>archiver validate --in-cluster</c> (run in a node's pod) and a cluster node's API add to
    /// <see cref="Validate"/>. A local storage must name a volume for the database pods, and be mounted in the node
    /// (<see cref="LocalStorageInCluster"/>).
    /// </summary>
    public static IReadOnlyList<FieldError> ValidateInCluster(Resource resource, Func<string, string?>? folderProblem = null)
    {
        if (resource is not BackupStorage { Spec.Storage: { Provider: StorageProvider.Local, Local: { } local } }) return [];
        List<FieldError> errors = [];
        if (LocalStorageInCluster.VolumeProblem(local) is { } volume) errors.Add(new FieldError("spec.storage.local", volume));
        if (LocalStorageInCluster.Problem(local, folderProblem) is { } folder) errors.Add(new FieldError("spec.storage.local.mountPath", folder));
        return errors;
    }
}
