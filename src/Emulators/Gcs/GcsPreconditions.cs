using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace Archiver.Emulators.Gcs;

/// <summary>
/// The generation and metageneration preconditions of a request's query
/// (https://cloud.google.com/storage/docs/request-preconditions): <c>ifGenerationMatch=0</c> means "no live object".
/// </summary>
internal sealed record GcsPreconditions(long? IfGenerationMatch, long? IfGenerationNotMatch, long? IfMetagenerationMatch, long? IfMetagenerationNotMatch)
{
    /// <summary>The preconditions, or the 400 GCS answers to a value that is not an int64.</summary>
    public static (GcsPreconditions? Value, GcsError? Error) Parse(IQueryCollection query)
    {
        long? Read(string name, ref GcsError? error)
        {
            if (query[name].ToString() is not { Length: > 0 } text) return null;
            if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value)) return value;
            error ??= new GcsError(400, "invalid", $"Invalid argument for {name}: {text}", name);
            return null;
        }

        GcsError? error = null;
        var value = new GcsPreconditions(
            Read("ifGenerationMatch", ref error),
            Read("ifGenerationNotMatch", ref error),
            Read("ifMetagenerationMatch", ref error),
            Read("ifMetagenerationNotMatch", ref error));
        return error is null ? (value, null) : (null, error);
    }

    /// <summary>412 when a condition does not hold for the live object (<paramref name="current"/>, null if none).</summary>
    public GcsError? Check(GcsObject? current)
    {
        if (IfGenerationMatch is { } match && (current?.Generation ?? 0) != match) return GcsError.PreconditionFailed("If-Match");
        if (IfGenerationNotMatch is { } notMatch && current is not null && current.Generation == notMatch) return GcsError.PreconditionFailed("If-None-Match");
        if (IfMetagenerationMatch is { } meta && current?.Metageneration != meta) return GcsError.PreconditionFailed("If-Metageneration-Match");
        if (IfMetagenerationNotMatch is { } notMeta && current is not null && current.Metageneration == notMeta) return GcsError.PreconditionFailed("If-Metageneration-Not-Match");
        return null;
    }
}
