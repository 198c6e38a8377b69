namespace Archiver.Emulators.Gcs;

/// <summary>
/// One resumable upload (https://cloud.google.com/storage/docs/performing-resumable-uploads): the bytes persisted so
/// far, the length declared at the start if any, the preconditions to check again when it completes, and how it
/// ended (the object made, or the error it ended with), which every later request to the session is answered with.
/// </summary>
internal sealed class GcsUploadSession(string id, string bucket, string name, string contentType, GcsPreconditions preconditions, long? declaredLength, IReadOnlyList<string> declaredHashes)
{
    public string Id { get; } = id;

    public string Bucket { get; } = bucket;

    public string Name { get; } = name;

    public string ContentType { get; } = contentType;

    public GcsPreconditions Preconditions { get; } = preconditions;

    /// <summary>From <c>X-Upload-Content-Length</c>, when the client knew it at the start.</summary>
    public long? DeclaredLength { get; } = declaredLength;

    /// <summary>
    /// The <c>crc32c</c> and <c>md5Hash</c> the start's object metadata gave, as <c>x-goog-hash</c> pairs
    /// (<c>crc32c=...</c>, <c>md5=...</c>): checked when the last byte arrives, as the final chunk's header is.
    /// </summary>
    public IReadOnlyList<string> DeclaredHashes { get; } = declaredHashes;

    public MemoryStream Received { get; } = new();

    public GcsObject? Completed { get; set; }

    public GcsError? Failed { get; set; }
}
