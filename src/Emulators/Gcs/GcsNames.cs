using System.Text;
using System.Text.RegularExpressions;

namespace Archiver.Emulators.Gcs;

/// <summary>
/// What GCS accepts as bucket and object names (https://cloud.google.com/storage/docs/buckets#naming,
/// https://cloud.google.com/storage/docs/objects#naming), and the order it lists names in: by their UTF-8 bytes.
/// </summary>
internal static partial class GcsNames
{
    public static GcsError? BucketProblem(string name) =>
        BucketName().IsMatch(name) && !name.StartsWith("goog", StringComparison.Ordinal) && !name.Contains("..", StringComparison.Ordinal)
            ? null
            : GcsError.Invalid($"Invalid bucket name: '{name}'");

    public static GcsError? ObjectProblem(string name)
    {
        var bytes = Encoding.UTF8.GetByteCount(name);
        if (bytes is 0 or > 1024) return GcsError.Invalid($"The object name must be 1 to 1024 bytes of UTF-8, not {bytes}.");
        if (name is "." or ".." || name.StartsWith(".well-known/acme-challenge/", StringComparison.Ordinal)) return GcsError.Invalid($"Invalid object name: '{name}'");
        return name.AsSpan().IndexOfAny('\r', '\n') >= 0 || name.AsSpan().ContainsAnyInRange('\u0000', '\u001f') || name.Contains('\u007f', StringComparison.Ordinal)
            ? GcsError.Invalid("Object names must not contain carriage returns, line feeds or other control characters.")
            : null;
    }

    /// <summary>Orders names as GCS lists them: lexicographically by UTF-8 bytes (which differs from UTF-16 order past U+FFFF).</summary>
    public static readonly Comparer<string> Utf8Order = Comparer<string>.Create(static (a, b) =>
        Encoding.UTF8.GetBytes(a).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(b)));

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$")]
    private static partial Regex BucketName();
}
