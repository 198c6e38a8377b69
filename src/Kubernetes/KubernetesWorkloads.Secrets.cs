using System.Net;
using Archiver.Actors.Ports;
using Archiver.Messages.Protocol;
using Archiver.Messages.Resources;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Archiver.Kubernetes;

/// <summary>
/// The copies of the storage's secrets in the database's namespace (<see cref="SidecarStorage"/>): made and kept equal to
/// their source at each <see cref="EnsureArchivingAsync"/>, owned by the MongoDB (the garbage collector takes them with
/// it), deleted when archiving stops. Found again through the pod template's volumes, never by listing secrets: the
/// node needs no <c>list</c> on secrets, which would let it read every secret of the cluster.
/// </summary>
public sealed partial class KubernetesWorkloads
{
    private async Task EnsureSecretCopiesAsync(MongoDB database, IReadOnlyList<SidecarStorage.Copy> copies, CancellationToken cancellation)
    {
        foreach (var copy in copies)
        {
            var data = await ReadSourceAsync(copy.Source, cancellation);
            await EnsureCopyAsync(database, copy, data, cancellation);
        }
    }

    /// <summary>The keys the storage reads from the source secret, as they are (bytes): a copy holds nothing else.</summary>
    private async Task<Dictionary<string, byte[]>> ReadSourceAsync(SecretKeys source, CancellationToken cancellation)
    {
        var secret = await TryReadSecretAsync(source.Secret, cancellation)
            ?? throw new SecretNotFoundException($"secret {source.Secret} not found");
        // Every missing key named at once: whoever fixes the secret fixes it in one go.
        var missing = source.Keys.Where(key => secret.Data?.TryGetValue(key, out var value) != true || value is null).ToList();
        if (missing.Count > 0) throw new SecretNotFoundException($"secret {source.Secret} has no key {string.Join(", ", missing.Select(k => $"'{k}'"))}");
        return source.Keys.ToDictionary(key => key, key => secret.Data![key], StringComparer.Ordinal);
    }

    // Read, decide, write with the resourceVersion read (create when absent); a 409 means someone wrote in between.
    private async Task EnsureCopyAsync(MongoDB database, SidecarStorage.Copy copy, Dictionary<string, byte[]> data, CancellationToken cancellation)
    {
        var id = new ResourceId(database.Metadata.NamespaceProperty, copy.Name);
        for (var attempt = 0; ; attempt++)
        {
            var existing = await TryReadSecretAsync(id, cancellation);
            try
            {
                if (existing is null)
                {
                    await client.CoreV1.CreateNamespacedSecretAsync(CopySecret(database, copy, data), id.Namespace, cancellationToken: cancellation);
                    return;
                }

                if (!SidecarStorage.IsCopy(existing, copy.Source.Secret))
                {
                    throw new InvalidOperationException($"secret {id} exists and is not Archiver's copy of {copy.Source.Secret}; it is left as it is (rename or delete it)");
                }

                var wanted = CopySecret(database, copy, data);
                if (SameData(existing.Data, data) && SameOwner(existing, wanted)
                    && existing.Metadata.Labels?.TryGetValue(SidecarStorage.DatabaseLabel, out var label) == true && label == wanted.Metadata.Labels[SidecarStorage.DatabaseLabel])
                {
                    return;
                }

                wanted.Metadata.ResourceVersion = existing.Metadata.ResourceVersion;
                await client.CoreV1.ReplaceNamespacedSecretAsync(wanted, id.Name, id.Namespace, cancellationToken: cancellation);
                return;
            }
            catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.NotFound && attempt < options.ConflictRetries)
            {
                // Created, changed or deleted since we read it (the garbage collector takes a copy whose database was
                // created again under its name): decide again on what is there now.
            }
        }
    }

    /// <summary>Deletes the named copies (only secrets that are Archiver's copies, and only the one read: a uid precondition).</summary>
    private async Task DeleteSecretCopiesAsync(string @namespace, IEnumerable<string> names, CancellationToken cancellation)
    {
        foreach (var name in names.Distinct(StringComparer.Ordinal))
        {
            var secret = await TryReadSecretAsync(new ResourceId(@namespace, name), cancellation);
            if (secret is null || !SidecarStorage.IsCopy(secret)) continue;
            try
            {
                await client.CoreV1.DeleteNamespacedSecretAsync(name, @namespace, new V1DeleteOptions { Preconditions = new V1Preconditions { Uid = secret.Metadata.Uid } }, cancellationToken: cancellation);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Conflict)
            {
                // Gone already, or replaced by another object of its name since we read it: not ours to delete.
            }
        }
    }

    /// <summary>The copies a pod template mounts now (its secret volumes of the sidecar's).</summary>
    private static List<string> CopiesIn(V1PodTemplateSpec template) =>
        [.. (template.Spec.Volumes ?? []).Where(v => v.Name.StartsWith(SidecarStorage.VolumePrefix, StringComparison.Ordinal) && v.Secret?.SecretName is not null).Select(v => v.Secret.SecretName)];

    private static V1Secret CopySecret(MongoDB database, SidecarStorage.Copy copy, Dictionary<string, byte[]> data) => new()
    {
        ApiVersion = "v1",
        Kind = "Secret",
        Type = "Opaque",
        Metadata = new V1ObjectMeta
        {
            Name = copy.Name,
            NamespaceProperty = database.Metadata.NamespaceProperty,
            Labels = new Dictionary<string, string>
            {
                [SidecarStorage.ManagedByLabel] = SidecarStorage.ManagedBy,
                [SidecarStorage.DatabaseLabel] = SidecarStorage.DatabaseLabelValue(database.Metadata.Name),
            },
            Annotations = new Dictionary<string, string> { [SidecarStorage.SourceAnnotation] = copy.Source.Secret.ToString() },
            // The database's, as its controller: deleted with it by the garbage collector. Not blockOwnerDeletion: a
            // foreground deletion of the database has no reason to wait for a copy (and setting it needs update on
            // mongodbs/finalizers where OwnerReferencesPermissionEnforcement is on).
            OwnerReferences =
            [
                new V1OwnerReference
                {
                    ApiVersion = string.IsNullOrEmpty(database.ApiVersion) ? MongoDB.ApiVersionName : database.ApiVersion,
                    Kind = MongoDB.KindName,
                    Name = database.Metadata.Name,
                    Uid = database.Metadata.Uid ?? throw new InvalidOperationException($"MongoDB {ResourceId.Of(database)} has no uid: only a stored database can own its secret copies"),
                    Controller = true,
                },
            ],
        },
        Data = data,
    };

    private static bool SameData(IDictionary<string, byte[]>? running, Dictionary<string, byte[]> wanted) =>
        running is not null && running.Count == wanted.Count && wanted.All(p => running.TryGetValue(p.Key, out var value) && value is not null && value.AsSpan().SequenceEqual(p.Value));

    private static bool SameOwner(V1Secret running, V1Secret wanted) =>
        running.Metadata.OwnerReferences is [var owner] && owner.Uid == wanted.Metadata.OwnerReferences[0].Uid && owner.Controller == true;

    private async Task<V1Secret?> TryReadSecretAsync(ResourceId id, CancellationToken cancellation)
    {
        try
        {
            return await client.CoreV1.ReadNamespacedSecretAsync(id.Name, id.Namespace, cancellationToken: cancellation);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        catch (HttpOperationException e) when (ApiServerErrors.IsForbidden(e))
        {
            throw new SecretNotFoundException($"secret {id} cannot be read: {ApiServerErrors.Reason(e)}");
        }
    }
}
