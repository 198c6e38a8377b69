using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Serialization.Metadata;

namespace Archiver.Storage;

/// <summary>
/// Small JSON objects (manifests, timelines, the repository marker) with a checksum trailer line
/// <c>sha256:HEX</c> after the JSON, so they stay readable with any tool yet are verified on every read.
/// </summary>
public static class CheckedJson
{
    private const string Trailer = "\nsha256:";

    public static byte[] Serialize<T>(T value, JsonTypeInfo<T> typeInfo)
    {
        var json = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(value, typeInfo);
        var trailer = Encoding.ASCII.GetBytes(Trailer + Convert.ToHexStringLower(SHA256.HashData(json)) + "\n");
        return [.. json, .. trailer];
    }

    public static T Deserialize<T>(string key, byte[] bytes, JsonTypeInfo<T> typeInfo)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        var marker = Encoding.ASCII.GetBytes(Trailer);
        var at = bytes.AsSpan().LastIndexOf(marker);
        if (at < 0)
        {
            throw new CorruptObjectException(key, "it has no checksum line");
        }

        var json = bytes.AsSpan(0, at);
        var expected = Encoding.ASCII.GetString(bytes.AsSpan(at + marker.Length)).Trim();
        if (!string.Equals(Convert.ToHexStringLower(SHA256.HashData(json)), expected, StringComparison.Ordinal))
        {
            throw new CorruptObjectException(key, "its SHA-256 checksum does not match its content");
        }

        try
        {
            return System.Text.Json.JsonSerializer.Deserialize(json, typeInfo)
                ?? throw new CorruptObjectException(key, "it holds JSON null");
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new CorruptObjectException(key, "its JSON does not match the expected shape", e);
        }
    }
}
