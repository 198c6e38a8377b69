using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Archiver.Emulators.MongoDb.Durability;

namespace Archiver.Emulators.Gcs;

/// <summary>One live object generation: GCS keeps no older ones here (a bucket without object versioning).</summary>
internal sealed record GcsObject(string Bucket, string Name, long Generation, long Metageneration, string ContentType, byte[] Data, DateTimeOffset Created)
{
    /// <summary>CRC-32C in big-endian byte order, base64: what <c>crc32c</c> and <c>x-goog-hash</c> carry.</summary>
    public string Crc32CBase64 { get; } = Crc32CBase64Of(Data);

    public string Md5Base64 { get; } = Convert.ToBase64String(MD5.HashData(Data));

    /// <summary>The JSON API's etag is opaque; this one changes with the generation and metageneration, as GCS's does.</summary>
    public string ETag => Convert.ToBase64String(Encoding.ASCII.GetBytes($"{Generation}/{Metageneration}"));

    public static string Crc32CBase64Of(ReadOnlySpan<byte> data)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, Crc32C.Compute(data));
        return Convert.ToBase64String(bytes);
    }

    /// <summary>The object resource (https://cloud.google.com/storage/docs/json_api/v1/objects#resource), int64s as strings.</summary>
    public JsonObject ToJson(Uri root)
    {
        var encoded = Uri.EscapeDataString(Name);
        var time = Created.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        return new JsonObject
        {
            ["kind"] = "storage#object",
            ["id"] = $"{Bucket}/{Name}/{Generation}",
            ["selfLink"] = $"{root}storage/v1/b/{Bucket}/o/{encoded}",
            ["mediaLink"] = $"{root}download/storage/v1/b/{Bucket}/o/{encoded}?generation={Generation}&alt=media",
            ["name"] = Name,
            ["bucket"] = Bucket,
            ["generation"] = Generation.ToString(CultureInfo.InvariantCulture),
            ["metageneration"] = Metageneration.ToString(CultureInfo.InvariantCulture),
            ["contentType"] = ContentType,
            ["storageClass"] = "STANDARD",
            ["size"] = Data.LongLength.ToString(CultureInfo.InvariantCulture),
            ["md5Hash"] = Md5Base64,
            ["crc32c"] = Crc32CBase64,
            ["etag"] = ETag,
            ["timeCreated"] = time,
            ["updated"] = time,
            ["timeStorageClassUpdated"] = time,
        };
    }
}
