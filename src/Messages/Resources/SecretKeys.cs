using Archiver.Messages.Protocol;

namespace Archiver.Messages.Resources;

/// <summary>One secret and the keys read from it (see <see cref="BackupStorageSecrets.Named"/>).</summary>
public sealed record SecretKeys(ResourceId Secret, IReadOnlyList<string> Keys);
