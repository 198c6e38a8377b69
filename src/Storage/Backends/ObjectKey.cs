namespace Archiver.Storage.Backends;

/// <summary>
/// Key rules shared by every backend, so a key valid on S3 is valid in a folder too: relative, '/'-separated,
/// no empty, '.' or '..' segments, and no segment starting with '.' (those names are the backends' own).
/// </summary>
public static class ObjectKey
{
    public static void Validate(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        if (key.Contains('\\', StringComparison.Ordinal) || key.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException($"Object key '{key}' contains a backslash or a NUL.", nameof(key));
        }

        foreach (var segment in key.Split('/'))
        {
            if (segment.Length == 0 || segment[0] == '.')
            {
                throw new ArgumentException(
                    $"Object key '{key}' has an empty segment or one starting with '.'.", nameof(key));
            }
        }
    }

    public static void ValidatePrefix(string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        if (prefix.Length > 0)
        {
            Validate(prefix.EndsWith('/') ? prefix[..^1] : prefix);
        }
    }

    /// <summary>Joins segments with '/', ignoring empty ones, so callers need not care about trailing slashes.</summary>
    public static string Join(params string[] segments)
    {
        ArgumentNullException.ThrowIfNull(segments);
        return string.Join('/', segments.Select(s => s.Trim('/')).Where(s => s.Length > 0));
    }
}
