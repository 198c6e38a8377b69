using Archiver.Messages.Resources;
using k8s;

namespace Archiver.Messages.Manifests;

/// <summary>The kinds Archiver reads, by apiVersion and kind, each with how to type it from JSON.</summary>
public static class ResourceKinds
{
    public static readonly IReadOnlyList<ResourceKind> All =
    [
        Kind<MongoDBArchiver>(MongoDBArchiver.ApiVersionName, MongoDBArchiver.KindName, "mongodbarchivers"),
        Kind<MongoDBOpsRequest>(MongoDBOpsRequest.ApiVersionName, MongoDBOpsRequest.KindName, "mongodbopsrequests"),
        Kind<MongoDB>(MongoDB.ApiVersionName, MongoDB.KindName, "mongodbs"),
        Kind<BackupConfiguration>(BackupConfiguration.ApiVersionName, BackupConfiguration.KindName, "backupconfigurations"),
        Kind<Snapshot>(Snapshot.ApiVersionName, Snapshot.KindName, "snapshots"),
        Kind<BackupStorage>(BackupStorage.ApiVersionName, BackupStorage.KindName, "backupstorages"),
        Kind<RetentionPolicy>(RetentionPolicy.ApiVersionName, RetentionPolicy.KindName, "retentionpolicies"),
    ];

    public static ResourceKind? Find(string kind) => All.FirstOrDefault(k => k.Kind == kind);

    public static ResourceKind? Find(Type type) => All.FirstOrDefault(k => k.Type == type);

    /// <summary>A kind by its name, plural or singular, case-insensitive, as a command line takes it.</summary>
    public static ResourceKind? FindByName(string name) => All.FirstOrDefault(k =>
        string.Equals(k.Kind, name, StringComparison.OrdinalIgnoreCase)
        || string.Equals(k.Plural, name, StringComparison.OrdinalIgnoreCase));

    public static string Describe() => string.Join(", ", All.Select(k => $"{k.Kind} ({k.ApiVersion})"));

    private static ResourceKind Kind<T>(string apiVersion, string kind, string plural)
        where T : Resource => new(apiVersion, kind, plural, typeof(T), json => KubernetesJson.Deserialize<T>(json));
}

public sealed record ResourceKind(string ApiVersion, string Kind, string Plural, Type Type, Func<string, Resource> FromJson)
{
    public string Group => ApiVersion[..ApiVersion.IndexOf('/', StringComparison.Ordinal)];

    public string Version => ApiVersion[(ApiVersion.IndexOf('/', StringComparison.Ordinal) + 1)..];
}
