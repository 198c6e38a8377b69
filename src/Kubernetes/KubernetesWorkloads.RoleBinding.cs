using System.Net;
using Archiver.Messages.Protocol;
using Archiver.Messages.Resources;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Archiver.Kubernetes;

/// <summary>
/// The sidecar's permission: a RoleBinding in the database's namespace that binds the ClusterRole the sidecar needs
/// (<see cref="KubernetesWorkloadsOptions.SidecarClusterRole"/>, deploy/statefulset/rbac.yaml: get and patch its own
/// pod, where it publishes its report) to the service account the database's pods run as. Owned by the MongoDB (the
/// garbage collector takes it with the database), deleted when archiving stops. The node may create it because it
/// holds <c>bind</c> on that one ClusterRole, not the pods' patch itself (Kubernetes RBAC's privilege-escalation
/// prevention: https://kubernetes.io/docs/reference/access-authn-authz/rbac/#restrictions-on-role-binding-creation-or-update).
/// </summary>
public sealed partial class KubernetesWorkloads
{
    private const string RbacGroup = "rbac.authorization.k8s.io";

    /// <summary>The RoleBinding's name: one per database, beside its secret copies.</summary>
    public static string SidecarRoleBindingName(string database) => $"{database}-archiver-sidecar";

    private Task EnsureSidecarRoleBindingAsync(MongoDB database, string serviceAccount, CancellationToken cancellation) =>
        EnsureRoleBindingAsync(database, SidecarRoleBindingName(database.Metadata.Name), options.SidecarClusterRole, serviceAccount, cancellation);

    /// <summary>A RoleBinding of Archiver's, owned by the database, binding <paramref name="clusterRole"/> to the service account in its namespace.</summary>
    private async Task EnsureRoleBindingAsync(MongoDB database, string name, string clusterRole, string serviceAccount, CancellationToken cancellation)
    {
        var ns = database.Metadata.NamespaceProperty;
        var wanted = RoleBinding(database, name, clusterRole, serviceAccount);
        for (var attempt = 0; ; attempt++)
        {
            var existing = await TryReadRoleBindingAsync(ns, wanted.Metadata.Name, cancellation);
            try
            {
                if (existing is null)
                {
                    await client.RbacAuthorizationV1.CreateNamespacedRoleBindingAsync(wanted, ns, cancellationToken: cancellation);
                    return;
                }

                if (existing.Metadata.Labels?.TryGetValue(SidecarStorage.ManagedByLabel, out var manager) != true || manager != SidecarStorage.ManagedBy)
                {
                    throw new InvalidOperationException($"RoleBinding {ns}/{wanted.Metadata.Name} exists and is not Archiver's; it is left as it is (rename or delete it)");
                }

                var sameSubject = existing.Subjects is [var subject] && subject.Kind == "ServiceAccount" && subject.Name == serviceAccount && subject.NamespaceProperty == ns;
                var sameOwner = existing.Metadata.OwnerReferences is [var owner] && owner.Uid == database.Metadata.Uid;
                if (existing.RoleRef.Name == wanted.RoleRef.Name && existing.RoleRef.Kind == wanted.RoleRef.Kind && sameSubject && sameOwner) return;
                // roleRef cannot change (the API server refuses it): another binding replaces this one.
                await DeleteRoleBindingAsync(existing, cancellation);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.NotFound && attempt < options.ConflictRetries)
            {
                // Created, changed or deleted since we read it: decide again on what is there now.
            }
        }
    }

    private async Task DeleteSidecarRoleBindingAsync(string @namespace, string database, CancellationToken cancellation)
    {
        var existing = await TryReadRoleBindingAsync(@namespace, SidecarRoleBindingName(database), cancellation);
        if (existing?.Metadata.Labels?.TryGetValue(SidecarStorage.ManagedByLabel, out var manager) != true || manager != SidecarStorage.ManagedBy) return;
        try
        {
            await DeleteRoleBindingAsync(existing, cancellation);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Conflict)
        {
            // Gone already, or replaced since we read it: not ours to delete.
        }
    }

    private Task DeleteRoleBindingAsync(V1RoleBinding binding, CancellationToken cancellation) =>
        client.RbacAuthorizationV1.DeleteNamespacedRoleBindingAsync(binding.Metadata.Name, binding.Metadata.NamespaceProperty,
            new V1DeleteOptions { Preconditions = new V1Preconditions { Uid = binding.Metadata.Uid } }, cancellationToken: cancellation);

    private async Task<V1RoleBinding?> TryReadRoleBindingAsync(string @namespace, string name, CancellationToken cancellation)
    {
        try
        {
            return await client.RbacAuthorizationV1.ReadNamespacedRoleBindingAsync(name, @namespace, cancellationToken: cancellation);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private static V1RoleBinding RoleBinding(MongoDB database, string name, string clusterRole, string serviceAccount) => new()
    {
        ApiVersion = $"{RbacGroup}/v1",
        Kind = "RoleBinding",
        Metadata = new V1ObjectMeta
        {
            Name = name,
            NamespaceProperty = database.Metadata.NamespaceProperty,
            Labels = new Dictionary<string, string>
            {
                [SidecarStorage.ManagedByLabel] = SidecarStorage.ManagedBy,
                [SidecarStorage.DatabaseLabel] = SidecarStorage.DatabaseLabelValue(database.Metadata.Name),
            },
            OwnerReferences =
            [
                new V1OwnerReference
                {
                    ApiVersion = string.IsNullOrEmpty(database.ApiVersion) ? MongoDB.ApiVersionName : database.ApiVersion,
                    Kind = MongoDB.KindName,
                    Name = database.Metadata.Name,
                    Uid = database.Metadata.Uid ?? throw new InvalidOperationException($"MongoDB {ResourceId.Of(database)} has no uid: only a stored database can own Archiver's RoleBindings"),
                    Controller = true,
                },
            ],
        },
        RoleRef = new V1RoleRef { ApiGroup = RbacGroup, Kind = "ClusterRole", Name = clusterRole },
        Subjects = [new Rbacv1Subject { Kind = "ServiceAccount", Name = serviceAccount, NamespaceProperty = database.Metadata.NamespaceProperty }],
    };
}
