using Archiver.Messages.Protocol;

namespace Archiver.Actors.Ports;

/// <summary>
/// Where a node reads the secrets resources name (storage credentials, encryption keys, connection strings): the
/// API server's core/v1 Secrets in a cluster, a folder laid out as Kubernetes mounts secrets on the embedded node.
/// Values never appear in a resource, a status, an error or a log line; errors name the secret and the key.
/// </summary>
public interface ISecretSource
{
    /// <summary>The value of one key as text, without a trailing newline (as <c>kubectl create secret --from-file</c> keeps it).</summary>
    /// <exception cref="SecretNotFoundException">The secret or the key is missing.</exception>
    Task<string> ReadAsync(ResourceId secret, string key, CancellationToken cancellation = default);
}

/// <summary>A secret, or one key of it, is missing: the message names both, never a value.</summary>
public sealed class SecretNotFoundException(string message) : Exception(message);
