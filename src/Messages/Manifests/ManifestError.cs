namespace Archiver.Messages.Manifests;

/// <summary>
/// One thing wrong with a manifest: which object (<c>Kind/namespace/name</c>, or <c>document N</c> before the
/// kind is known), which field (dotted path, <c>[i]</c> for list items), and why.
/// </summary>
public sealed record ManifestError(string Subject, string Path, string Reason, int? Line = null)
{
    public override string ToString() => Path.Length == 0 ? $"{Subject}: {Reason}" : $"{Subject}: {Path}: {Reason}";
}
