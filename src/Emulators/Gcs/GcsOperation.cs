namespace Archiver.Emulators.Gcs;

/// <summary>The JSON API calls the stand-in serves, for fault injection and counting.</summary>
public enum GcsOperation
{
    /// <summary><c>POST /upload/storage/v1/b/{bucket}/o?uploadType=resumable</c>: opens an upload session.</summary>
    StartUpload,

    /// <summary><c>PUT</c> to a session URI: a chunk, or a status query (<c>Content-Range: bytes */N</c>).</summary>
    UploadChunk,

    /// <summary><c>GET /storage/v1/b/{bucket}/o/{object}</c>: the object's metadata.</summary>
    GetMetadata,

    /// <summary><c>GET .../o/{object}?alt=media</c>: the object's bytes, whole or a range.</summary>
    GetMedia,

    /// <summary><c>GET /storage/v1/b/{bucket}/o</c>: one page of a listing.</summary>
    List,

    /// <summary><c>DELETE /storage/v1/b/{bucket}/o/{object}</c>.</summary>
    Delete,

    /// <summary>Buckets, the token endpoint, and anything refused as unknown.</summary>
    Other,
}
