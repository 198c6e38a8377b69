using System.Globalization;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;

namespace Archiver.Emulators.Gcs;

public sealed partial class GcsEmulator
{
    // Every chunk but the last must be a multiple of 256 KiB (https://cloud.google.com/storage/docs/performing-resumable-uploads#chunked-upload).
    private const int ChunkGranularity = 256 * 1024;

    /// <summary>
    /// objects.insert with <c>uploadType=resumable</c>: checks the name and preconditions now (GCS refuses a session
    /// whose precondition already fails) and again when the last byte arrives, and answers the session URI in
    /// <c>Location</c>. The other upload types are refused: Google.Cloud.Storage.V1 sends none of them.
    /// </summary>
    private async Task StartUploadAsync(HttpContext context, string bucket)
    {
        var query = context.Request.Query;
        if (query["uploadType"] != "resumable")
        {
            await GcsError.Invalid($"The stand-in serves uploadType=resumable only, not '{query["uploadType"]}'.").WriteAsync(context.Response);
            return;
        }

        var metadata = await ReadJsonAsync(context.Request);
        var name = query["name"].ToString() is { Length: > 0 } n ? n : metadata?["name"]?.GetValue<string>();
        var (preconditions, error) = GcsPreconditions.Parse(query);
        long? declared = null;
        if (context.Request.Headers["X-Upload-Content-Length"].ToString() is { Length: > 0 } length)
        {
            declared = long.TryParse(length, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : -1;
            if (declared < 0) error ??= GcsError.Invalid($"Invalid X-Upload-Content-Length: {length}");
        }

        error ??= name is null ? new GcsError(400, "required", "Required", "resource.name") : GcsNames.ObjectProblem(name);
        GcsUploadSession? session = null;
        if (error is null)
        {
            lock (_lock)
            {
                error = _buckets.TryGetValue(bucket, out var objects) ? preconditions!.Check(objects.GetValueOrDefault(name!)) : GcsError.NoSuchBucket();
                if (error is null)
                {
                    var contentType = context.Request.Headers["X-Upload-Content-Type"].ToString() is { Length: > 0 } t ? t
                        : metadata?["contentType"]?.GetValue<string>() ?? "application/octet-stream";
                    session = new GcsUploadSession(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)), bucket, name!, contentType, preconditions!, declared, DeclaredHashes(metadata));
                    _sessions[session.Id] = session;
                }
            }
        }

        if (error is not null)
        {
            await error.WriteAsync(context.Response);
            return;
        }

        context.Response.StatusCode = 200;
        context.Response.Headers.Location = new Uri(Url, $"upload/storage/v1/b/{bucket}/o?uploadType=resumable&name={Uri.EscapeDataString(name!)}&upload_id={session!.Id}").ToString();
        context.Response.ContentLength = 0;
    }

    /// <summary>
    /// The hashes an upload's object metadata names (<c>crc32c</c>, <c>md5Hash</c>), which GCS checks the uploaded bytes
    /// against before it creates the object (https://cloud.google.com/storage/docs/hashes-etags#json-api).
    /// </summary>
    private static List<string> DeclaredHashes(System.Text.Json.Nodes.JsonNode? metadata) =>
        new[] { ("crc32c", "crc32c"), ("md5Hash", "md5") }
            .Where(h => metadata?[h.Item1] is not null)
            .Select(h => $"{h.Item2}={metadata![h.Item1]!.GetValue<string>()}")
            .ToList();

    /// <summary>
    /// A PUT to a session URI: a chunk (<c>Content-Range: bytes a-b/total</c> or <c>/*</c>) or a status query
    /// (<c>bytes */total</c> or <c>*/*</c>). Answers 308 with the persisted <c>Range</c> while bytes are missing, and
    /// the object once the last one arrived; a session that ended answers as it ended, every time.
    /// </summary>
    private async Task UploadChunkAsync(HttpContext context, string id)
    {
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body);
        GcsUploadSession? session;
        lock (_lock) session = _sessions.GetValueOrDefault(id);
        if (session is null)
        {
            await GcsError.NotFound("No such upload session.").WriteAsync(context.Response);
            return;
        }

        var chunk = body.ToArray();
        if (context.Items[MediaFaultKey] is GcsFault.CorruptBody && chunk.Length > 0)
        {
            chunk[chunk.Length / 2] ^= 0x01;
        }

        var error = Accept(session, context.Request.Headers.ContentRange.ToString(), chunk, context.Request.Headers["x-goog-hash"]);
        if (error is not null)
        {
            await error.WriteAsync(context.Response);
            return;
        }

        if (session.Completed is { } done)
        {
            await WriteJsonAsync(context.Response, done.ToJson(Url));
            return;
        }

        context.Response.StatusCode = 308;
        if (session.Received.Length > 0) context.Response.Headers["Range"] = $"bytes=0-{session.Received.Length - 1}";
        context.Response.ContentLength = 0;
    }

    /// <summary>Takes one chunk or status query into the session; the error it ends with, or null.</summary>
    private GcsError? Accept(GcsUploadSession session, string contentRange, byte[] chunk, IEnumerable<string?> hashes)
    {
        lock (_lock)
        {
            if (session.Completed is not null) return null;
            if (session.Failed is not null) return session.Failed;
            if (ParseContentRange(contentRange) is not var (from, to, total)) return GcsError.Invalid($"Invalid Content-Range: '{contentRange}'");
            var persisted = session.Received.Length;
            if (total is { } t && session.DeclaredLength is { } declared && t != declared)
            {
                return session.Failed = GcsError.Invalid($"The upload's total size {t} is not the X-Upload-Content-Length {declared} it was started with.");
            }

            if (from is { } first)
            {
                if (chunk.Length != to!.Value - first + 1) return GcsError.Invalid($"Content-Range {contentRange} does not match a body of {chunk.Length} bytes.");
                if (first > persisted) return GcsError.Invalid($"The chunk starts at byte {first}, but only {persisted} bytes were persisted: the upload would have a gap.");
                var last = to.Value + 1;
                if (total is { } size && last > size) return GcsError.Invalid($"The chunk ends at byte {last}, past the upload's total size {size}.");
                if (last != total && last % ChunkGranularity != 0) return GcsError.Invalid($"Every chunk but the last must end on a multiple of {ChunkGranularity} bytes, not {last}.");
                if (last > persisted) session.Received.Write(chunk, (int)(persisted - first), (int)(last - persisted));
            }
            else if (chunk.Length != 0)
            {
                return GcsError.Invalid("A status query (Content-Range: bytes */N) must have no body.");
            }

            return total == session.Received.Length ? Complete(session, hashes) : null;
        }
    }

    /// <summary>The last byte arrived: checks the client's hashes (the final chunk's header and the start's metadata), then the preconditions against the live object, then publishes.</summary>
    private GcsError? Complete(GcsUploadSession session, IEnumerable<string?> hashes)
    {
        var data = session.Received.ToArray();
        foreach (var pair in hashes.Concat(session.DeclaredHashes).SelectMany(h => (h ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)))
        {
            var (kind, value) = pair.IndexOf('=', StringComparison.Ordinal) is var eq and > 0 ? (pair[..eq], pair[(eq + 1)..]) : (pair, "");
            var actual = kind switch
            {
                "crc32c" => GcsObject.Crc32CBase64Of(data),
                "md5" => Convert.ToBase64String(MD5.HashData(data)),
                _ => value,
            };
            if (actual != value) return session.Failed = GcsError.Invalid($"Provided {kind.ToUpperInvariant()} \"{value}\" doesn't match calculated {kind.ToUpperInvariant()} \"{actual}\".");
        }

        var objects = _buckets[session.Bucket];
        if (session.Preconditions.Check(objects.GetValueOrDefault(session.Name)) is { } failed) return session.Failed = failed;
        session.Completed = objects[session.Name] = new GcsObject(session.Bucket, session.Name, NextGeneration(), 1, session.ContentType, data, _options.Time.GetUtcNow());
        return null;
    }

    /// <summary><c>bytes a-b/total</c>, <c>bytes a-b/*</c>, <c>bytes */total</c> or <c>bytes */*</c>; null when it is none of them.</summary>
    private static (long? From, long? To, long? Total)? ParseContentRange(string header)
    {
        if (!header.StartsWith("bytes ", StringComparison.Ordinal)) return null;
        var parts = header["bytes ".Length..].Split('/');
        if (parts.Length != 2) return null;
        long? total = null;
        if (parts[1] != "*")
        {
            if (!long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var t)) return null;
            total = t;
        }

        if (parts[0] == "*") return (null, null, total);
        var bounds = parts[0].Split('-');
        return bounds.Length == 2
            && long.TryParse(bounds[0], NumberStyles.None, CultureInfo.InvariantCulture, out var from)
            && long.TryParse(bounds[1], NumberStyles.None, CultureInfo.InvariantCulture, out var to)
            && to >= from
                ? (from, to, total)
                : null;
    }
}
