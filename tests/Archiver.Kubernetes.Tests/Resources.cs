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

    public static string? PhaseOf(Database database) => StatusOf(database, "phase");

    public static string? StatusOf(Database database, string field) => database.Status?.Other?.TryGetValue(field, out var value) == true ? value.GetString() : null;

    /// <summary>The database with one more status field, the others kept.</summary>
    public static Database WithStatus(Database database, string field, string value) => database with
    {
        Status = (database.Status ?? new MongoDBStatus()) with
        {
            Other = new Dictionary<string, JsonElement>(database.Status?.Other ?? new Dictionary<string, JsonElement>()) { [field] = JsonSerializer.SerializeToElement(value) },
        },
    };

    /// <summary>A BackupConfiguration the database owns, as KubeDB's objects are owned by theirs.</summary>
    public static BackupConfiguration Dependent(string @namespace, string name, Database owner) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = @namespace, OwnerReferences = [OwnerReference(owner, controller: true)] },
        Spec = new BackupConfigurationSpec
        {
            Target = new TypedObjectRef { ApiGroup = "kubedb.com", Kind = Messages.Resources.MongoDB.KindName, Name = owner.Metadata.Name, Namespace = @namespace },
            Backends = [],
            Sessions = [],
        },
    };

    public static V1OwnerReference OwnerReference(Database owner, bool controller) => new()
    {
        ApiVersion = Messages.Resources.MongoDB.ApiVersionName,
        Kind = Messages.Resources.MongoDB.KindName,
        Name = owner.Metadata.Name,
        Uid = owner.Metadata.Uid,
        Controller = controller,
        BlockOwnerDeletion = true,
    };
}
