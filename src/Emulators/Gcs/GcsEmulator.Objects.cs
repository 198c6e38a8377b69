using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Archiver.Emulators.Gcs;

public sealed partial class GcsEmulator
{
    private const string MediaFaultKey = "gcs-stand-in.media-fault";
    private const string PageTokenMarker = "stand-in:";

    // Listing parameters GCS has that no caller of this stand-in sends: refused by name rather than ignored, so a
    // client that starts using one learns it here instead of getting a listing GCS would not give.
    private static readonly string[] UnservedListParameters = ["delimiter", "startOffset", "endOffset", "matchGlob", "versions", "includeTrailingDelimiter", "softDeleted"];

    private async Task GetMetadataAsync(HttpContext context, string bucket, string name)
    {
        var (found, error) = Find(context.Request.Query, bucket, name);
        await (error is not null ? error.WriteAsync(context.Response) : WriteJsonAsync(context.Response, found!.ToJson(Url)));
    }

    private async Task GetMediaAsync(HttpContext context, string bucket, string name)
    {
        var (found, error) = Find(context.Request.Query, bucket, name);
        if (error is not null)
        {
            await error.WriteAsync(context.Response);
            return;
        }

        var o = found!;
        var response = context.Response;
        var (from, to) = (0L, o.Data.LongLength - 1);
        if (context.Request.Headers.Range.ToString() is { Length: > 0 } range && ParseRange(range, o.Data.LongLength) is { } requested)
        {
            if (requested.From < 0)
            {
                response.Headers.ContentRange = $"bytes */{o.Data.LongLength}";
                await new GcsError(416, "requestedRangeNotSatisfiable", "Request range not satisfiable").WriteAsync(response);
                return;
            }

            (from, to) = requested;
            response.StatusCode = 206;
            response.Headers.ContentRange = $"bytes {from}-{to}/{o.Data.LongLength}";
        }
        else
        {
            response.StatusCode = 200;
        }

        // What GCS sends with media: the whole object's hashes even for a range (x-goog-hash), and its generation.
        response.ContentType = o.ContentType;
        response.ContentLength = to - from + 1;
        response.Headers.ETag = $"\"{o.Md5Base64}\"";
        response.Headers.AcceptRanges = "bytes";
        response.Headers.LastModified = o.Created.ToString("R", CultureInfo.InvariantCulture);
        response.Headers["x-goog-generation"] = o.Generation.ToString(CultureInfo.InvariantCulture);
        response.Headers["x-goog-metageneration"] = o.Metageneration.ToString(CultureInfo.InvariantCulture);
        response.Headers["x-goog-hash"] = $"crc32c={o.Crc32CBase64},md5={o.Md5Base64}";
        response.Headers["x-goog-stored-content-length"] = o.Data.LongLength.ToString(CultureInfo.InvariantCulture);
        response.Headers["x-goog-stored-content-encoding"] = "identity";
        var body = o.Data.AsMemory((int)from, (int)(to - from + 1));
        if (context.Items[MediaFaultKey] is GcsFault.CorruptBody && body.Length > 0)
        {
            var damaged = body.ToArray();
            damaged[damaged.Length / 2] ^= 0x01;
            body = damaged;
        }

        if (context.Items[MediaFaultKey] is GcsFault.BreakBodyMidway)
        {
            await response.Body.WriteAsync(body[..(body.Length / 2)]);
            await response.Body.FlushAsync();
            context.Abort();
            return;
        }

        await response.Body.WriteAsync(body);
    }

    private async Task ListAsync(HttpContext context, string bucket)
    {
        var query = context.Request.Query;
        if (UnservedListParameters.FirstOrDefault(query.ContainsKey) is { } unserved)
        {
            await GcsError.Invalid($"The stand-in does not serve the listing parameter {unserved}.").WriteAsync(context.Response);
            return;
        }

        var max = 1000;
        if (query["maxResults"].ToString() is { Length: > 0 } text && (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out max) || max < 1))
        {
            await new GcsError(400, "invalid", $"Invalid unsigned integer value: '{text}'.", "maxResults").WriteAsync(context.Response);
            return;
        }

        // GCS returns at most 1,000 items a page whatever maxResults asks (objects: list, maxResults).
        max = Math.Min(max, 1000);
        string? after = null;
        if (query["pageToken"].ToString() is { Length: > 0 } token && (after = DecodePageToken(token)) is null)
        {
            await new GcsError(400, "invalid", "Invalid page token.", "pageToken").WriteAsync(context.Response);
            return;
        }

        var prefix = query["prefix"].ToString();
        List<GcsObject> page;
        lock (_lock)
        {
            page = _buckets.TryGetValue(bucket, out var objects)
                ? [.. objects.Values
                    .Where(o => o.Name.StartsWith(prefix, StringComparison.Ordinal) && (after is null || GcsNames.Utf8Order.Compare(o.Name, after) > 0))
                    .Take(max + 1)]
                : null!;
        }

        if (page is null)
        {
            await GcsError.NoSuchBucket().WriteAsync(context.Response);
            return;
        }

        var body = new JsonObject { ["kind"] = "storage#objects" };
        if (page.Count > max)
        {
            page.RemoveAt(max);
            body["nextPageToken"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(PageTokenMarker + page[^1].Name));
        }

        // An empty page has no "items" at all, as GCS answers it.
        if (page.Count > 0) body["items"] = new JsonArray([.. page.Select(o => (JsonNode)o.ToJson(Url))]);
        await WriteJsonAsync(context.Response, body);
    }

    private async Task DeleteAsync(HttpContext context, string bucket, string name)
    {
        var (_, error) = Find(context.Request.Query, bucket, name);
        if (error is null)
        {
            lock (_lock)
            {
                // Found again under the lock, where it is removed: it may have been replaced or deleted meanwhile.
                (_, error) = Find(context.Request.Query, bucket, name);
                if (error is null) _buckets[bucket].Remove(name);
            }
        }

        if (error is not null)
        {
            await error.WriteAsync(context.Response);
            return;
        }

        context.Response.StatusCode = 204;
    }

    /// <summary>The live object a read or delete names, or the 400/404/412 GCS answers instead.</summary>
    private (GcsObject?, GcsError?) Find(IQueryCollection query, string bucket, string name)
    {
        if (GcsNames.ObjectProblem(name) is { } invalid) return (null, invalid);
        var (preconditions, badPrecondition) = GcsPreconditions.Parse(query);
        if (badPrecondition is not null) return (null, badPrecondition);
        GcsObject? found;
        lock (_lock)
        {
            if (!_buckets.TryGetValue(bucket, out var objects)) return (null, GcsError.NoSuchBucket());
            found = objects.GetValueOrDefault(name);
        }

        // No object versioning: a generation other than the live one is gone.
        if (found is null || (query["generation"].ToString() is { Length: > 0 } generation && generation != found.Generation.ToString(CultureInfo.InvariantCulture)))
        {
            return (null, GcsError.NoSuchObject(bucket, name));
        }

        return preconditions!.Check(found) is { } failed ? (null, failed) : (found, null);
    }

    /// <summary>One <c>bytes=a-b</c>, <c>bytes=a-</c> or <c>bytes=-n</c> range; (-1, -1) when unsatisfiable, null to ignore (as HTTP says of a range it cannot parse).</summary>
    private static (long From, long To)? ParseRange(string header, long length)
    {
        if (!header.StartsWith("bytes=", StringComparison.Ordinal) || header.Contains(',', StringComparison.Ordinal)) return null;
        var parts = header["bytes=".Length..].Split('-');
        if (parts.Length != 2) return null;
        var hasFrom = long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var from);
        var hasTo = long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var to);
        if (!hasFrom && hasTo) return to == 0 || length == 0 ? (-1, -1) : (Math.Max(0, length - to), length - 1);
        if (!hasFrom || (hasTo && to < from) || (parts[1].Length > 0 && !hasTo)) return null;
        return from >= length ? (-1, -1) : (from, hasTo ? Math.Min(to, length - 1) : length - 1);
    }

    private static string? DecodePageToken(string token)
    {
        try
        {
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(token));
            return text.StartsWith(PageTokenMarker, StringComparison.Ordinal) ? text[PageTokenMarker.Length..] : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
