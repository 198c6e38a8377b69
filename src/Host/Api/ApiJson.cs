using System.Text.Json;
using System.Text.Json.Serialization;

namespace Archiver.Host.Api;

/// <summary>How the API writes and the command line reads its JSON (resources themselves use KubernetesJson).</summary>
public static class ApiJson
{
    public static JsonSerializerOptions Options { get; } = Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        options.Converters.Add(new JsonStringEnumConverter());
        options.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
        return options;
    }
}
