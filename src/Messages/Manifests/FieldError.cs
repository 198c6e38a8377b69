namespace Archiver.Messages.Manifests;

/// <summary>A field-level error before it is tied to the object it belongs to.</summary>
public sealed record FieldError(string Path, string Reason, int? Line = null)
{
    public static string Join(string path, string field) => path.Length == 0 ? field : $"{path}.{field}";

    public static string Index(string path, int index) => $"{path}[{index}]";
}
