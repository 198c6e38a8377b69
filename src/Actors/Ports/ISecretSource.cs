using Archiver.Messages.Protocol;

namespace Archiver.Actors.Ports;

/// <summary>
/// Where a node reads the secrets resources name (storage credentials, encryption keys, connection strings): the
/// API server's core/v1 Secrets in a cluster, a folder laid out as Kubernetes mounts secrets on the embedded node.
/// Values never appear in a resource, a status, an error or a log line; errors name the secret and the key.
/// </summary>
public interface ISecretSource
{
    /// <summary>
    /// The values of <paramref name="keys"/> in one secret, in their order, read at once (one API call in a
    /// cluster), as text without a trailing newline (as <c>kubectl create secret --from-file</c> keeps it).
    /// </summary>
    /// <exception cref="SecretNotFoundException">The secret or one of the keys is missing.</exception>
    Task<IReadOnlyList<string>> ReadAsync(ResourceId secret, IReadOnlyList<string> keys, CancellationToken cancellation = default);
}

public static class SecretSourceExtensions
{
    /// <summary>The value of one key (see <see cref="ISecretSource.ReadAsync"/>).</summary>
    public static async Task<string> ReadAsync(this ISecretSource source, ResourceId secret, string key, CancellationToken cancellation = default) =>
        (await source.ReadAsync(secret, [key], cancellation))[0];
}

/// <summary>A secret, or one key of it, is missing: the message names both, never a value.</summary>
public sealed class SecretNotFoundException(string message) : Exception(message);
