using System.Text.Json;
using Archiver.Messages.Resources;
using Database = Archiver.Messages.Resources.MongoDB;
using k8s.Models;

namespace Archiver.Kubernetes.Tests;

internal static class Resources
{
    public static Database Database(string @namespace, string name, string version = "7.0.8", string? phase = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = @namespace },
        Spec = new MongoDBSpec { Other = new Dictionary<string, JsonElement> { ["version"] = JsonSerializer.SerializeToElement(version) } },
        Status = phase is null ? null : new MongoDBStatus { Other = new Dictionary<string, JsonElement> { ["phase"] = JsonSerializer.SerializeToElement(phase) } },
    };

    public static string? VersionOf(Database database) => database.Spec?.Other?["version"].GetString();

    public static string? PhaseOf(Database database) => database.Status?.Other?.TryGetValue("phase", out var phase) == true ? phase.GetString() : null;
}
