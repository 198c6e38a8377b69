using Archiver.Actors.Ports;
using Archiver.Messages.Protocol;

namespace Archiver.Host.Adapters;

/// <summary>
/// Secrets as Kubernetes mounts them: one folder per secret, one file per key
/// (<c>&lt;root&gt;/&lt;namespace&gt;/&lt;name&gt;/&lt;key&gt;</c>). Resources name a secret; its values never appear in
/// a resource, a status or a log line. On the embedded node the root is <c>&lt;data&gt;/secrets</c>.
/// </summary>
public sealed class SecretFolder(string root) : ISecretSource
{
    public string Root { get; } = Path.GetFullPath(root);

    /// <summary>The value of one key, without a trailing newline (as <c>kubectl create secret --from-file</c> keeps it).</summary>
    /// <exception cref="SecretNotFoundException">The secret or the key is missing: the message names both, never a value.</exception>
    public string Read(ResourceId secret, string key)
    {
        var path = PathOf(secret, key);
        if (!File.Exists(path))
        {
            throw new SecretNotFoundException(Directory.Exists(Path.GetDirectoryName(path))
                ? $"secret {secret} has no key '{key}' (looked for {path})"
                : $"secret {secret} not found (looked for {Path.GetDirectoryName(path)})");
        }

        return File.ReadAllText(path).TrimEnd('\r', '\n');
    }

    public Task<IReadOnlyList<string>> ReadAsync(ResourceId secret, IReadOnlyList<string> keys, CancellationToken cancellation = default) =>
        Task.FromResult<IReadOnlyList<string>>([.. keys.Select(key => Read(secret, key))]);

    public string? TryRead(ResourceId secret, string key) => File.Exists(PathOf(secret, key)) ? Read(secret, key) : null;

    /// <summary>Writes one key, readable by this user only.</summary>
    public void Write(ResourceId secret, string key, string value)
    {
        var path = PathOf(secret, key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, value);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    private string PathOf(ResourceId secret, string key)
    {
        foreach (var part in new[] { secret.Namespace, secret.Name, key })
        {
            if (part.Length == 0 || part.Contains('/') || part.Contains('\\') || part is "." or "..")
            {
                throw new ArgumentException($"'{part}' is not a valid secret namespace, name or key");
            }
        }

        return Path.Combine(Root, secret.Namespace, secret.Name, key);
    }
}
