using System.Text.Json.Serialization;
using Archiver.Storage.FullBackups;
using Archiver.Storage.Layout;

namespace Archiver.Storage;

/// <summary>Source-generated JSON for every small object the repository writes: no reflection, stable names.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    UseStringEnumConverter = true,
    WriteIndented = true,
    IgnoreReadOnlyProperties = true)]
[JsonSerializable(typeof(BackupManifest))]
[JsonSerializable(typeof(TimelineRecord))]
[JsonSerializable(typeof(RepositoryMarker))]
[JsonSerializable(typeof(Catalog.RestorePlanDocument))]
[JsonSerializable(typeof(Oplog.RestoreLease))]
internal sealed partial class StorageJsonContext : JsonSerializerContext;
