using System.Net;
using System.Text;
using Archiver.Actors.Ports;
using Archiver.Messages.Protocol;
using k8s;
using k8s.Autorest;

namespace Archiver.Kubernetes;

/// <summary>
/// Secrets read from the API server (core/v1, <c>get</c> on <c>secrets</c>; deploy/statefulset/rbac.yaml grants it),
/// so a node in a cluster finds the same storage credentials and keys the sidecars mount, without a volume per
/// secret. Read each time they are needed: a rotated secret is picked up by the next store or client opened.
/// </summary>
public sealed class KubernetesSecrets(IKubernetes client) : ISecretSource
{
    public async Task<IReadOnlyList<string>> ReadAsync(ResourceId secret, IReadOnlyList<string> keys, CancellationToken cancellation = default)
    {
        k8s.Models.V1Secret found;
        try
        {
            found = await client.CoreV1.ReadNamespacedSecretAsync(secret.Name, secret.Namespace, cancellationToken: cancellation);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            throw new SecretNotFoundException($"secret {secret} not found");
        }
        catch (HttpOperationException e) when (ApiServerErrors.IsForbidden(e))
        {
            throw new SecretNotFoundException($"secret {secret} cannot be read: {ApiServerErrors.Reason(e)}");
        }

        return [.. keys.Select(key => found.Data?.TryGetValue(key, out var value) == true && value is not null
            ? Encoding.UTF8.GetString(value).TrimEnd('\r', '\n')
            : throw new SecretNotFoundException($"secret {secret} has no key '{key}'"))];
    }
}
