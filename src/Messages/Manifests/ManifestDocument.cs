using Archiver.Messages.Resources;
using Archiver.Messages.Validation;

namespace Archiver.Messages.Manifests;

/// <summary>One document of a manifest: the typed resource when it could be built, and every error found in it.</summary>
public sealed record ManifestDocument(int Index, string Subject, Resource? Resource, IReadOnlyList<ManifestError> Errors)
{
    public bool IsValid => Resource is not null && Errors.Count == 0;
}

/// <summary>What reading a manifest gave: its documents in order, and errors that belong to no document (bad YAML).</summary>
public sealed record ManifestReadResult(IReadOnlyList<ManifestDocument> Documents, IReadOnlyList<ManifestError> FileErrors)
{
    public IEnumerable<ManifestError> Errors => FileErrors.Concat(Documents.SelectMany(d => d.Errors));

    public bool IsValid => FileErrors.Count == 0 && Documents.All(d => d.IsValid);

    /// <summary>
    /// The same documents with the rules a node in a cluster adds (<see cref="ResourceValidator.ValidateInCluster"/>),
    /// looking at this process's file system unless <paramref name="folderProblem"/> stands in.
    /// </summary>
    public ManifestReadResult InCluster(Func<string, string?>? folderProblem = null) => this with
    {
        Documents = [.. Documents.Select(d => d.Resource is null ? d : d with
        {
            Errors = [.. d.Errors, .. ResourceValidator.ValidateInCluster(d.Resource, folderProblem).Select(e => new ManifestError(d.Subject, e.Path, e.Reason))],
        })],
    };

    /// <summary>The resources, when every document is valid; reading never hands out half-checked objects.</summary>
    public IReadOnlyList<Resource> Resources => IsValid
        ? [.. Documents.Select(d => d.Resource!)]
        : throw new InvalidOperationException($"the manifest has errors: {string.Join("; ", Errors)}");
}
