using System.Text.Json;

namespace Archiver.Kubernetes;

/// <summary>
/// How a sidecar's report is written into its pod annotation: web defaults (camelCase names, <c>TimeSpan</c> as
/// <c>"hh:mm:ss"</c>), the same options for writing and reading.
/// </summary>
public static class ReportJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web);
}
