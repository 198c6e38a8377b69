using Archiver.Actors.Ports;
using Archiver.Messages.Configuration;
using Archiver.Messages.Protocol;
using Archiver.Messages.Resources;
using Archiver.Messages.Validation;
using k8s.Models;

namespace Archiver.Actors.OpsRequests;

/// <summary>
/// What configuring a database with an archiver creates, as pure functions of the two resources: the
/// BackupConfiguration, the incremental Snapshot (the seed's ArchiveInfo) and the archiving settings.
/// </summary>
public static class ArchiverResources
{
    public const string ArchiverLabel = "archiver.kubedb.com/archiver";
    public const string BackendName = "archiver-storage";
    public const string FullBackupSession = "full-backup";

    public static string BackupConfigurationName(ResourceId database) => $"{database.Name}-archiver";

    public static string SnapshotName(ResourceId database) => $"{database.Name}-incremental";

    /// <summary>The database's folder in the storage: <c>subDir/prefix</c>, the prefix expanded for the database.</summary>
    public static string Directory(MongoDBArchiver archiver, ResourceId database)
    {
        var target = archiver.Spec?.BackupStorage;
        var prefix = PrefixTemplate.Expand(target?.Prefix ?? PrefixTemplate.Default, MongoDB.KindName, database.Namespace, database.Name);
        return string.IsNullOrEmpty(target?.SubDir) ? prefix : $"{target.SubDir.TrimEnd('/')}/{prefix}";
    }

    public static ResourceId StorageId(MongoDBArchiver archiver)
    {
        var reference = archiver.Spec?.BackupStorage?.Ref ?? throw new PermanentStepException($"archiver {ResourceId.Of(archiver)} names no backup storage");
        return new ResourceId(string.IsNullOrEmpty(reference.Namespace) ? ResourceId.Of(archiver).Namespace : reference.Namespace, reference.Name);
    }

    /// <summary>
    /// The database's backup plan, owned by the database (its controller, as KubeDB's own objects are: the
    /// garbage collector deletes it with the database, and a database created again under the name gets its own).
    /// </summary>
    public static BackupConfiguration BackupConfiguration(MongoDBArchiver archiver, MongoDB db, string specHash)
    {
        var spec = archiver.Spec!;
        var archiverId = ResourceId.Of(archiver);
        var database = ResourceId.Of(db);
        var storage = StorageId(archiver);
        var full = spec.FullBackup;
        var metadata = Metadata(BackupConfigurationName(database), database, archiverId, specHash);
        metadata.OwnerReferences = [OwnedBy(db)];
        return new BackupConfiguration
        {
            ApiVersion = Messages.Resources.BackupConfiguration.ApiVersionName,
            Kind = Messages.Resources.BackupConfiguration.KindName,
            Metadata = metadata,
            Spec = new BackupConfigurationSpec
            {
                Target = new TypedObjectRef { ApiGroup = ApiGroups.KubeDb, Kind = MongoDB.KindName, Name = database.Name, Namespace = database.Namespace },
                Backends =
                [
                    new BackendReference
                    {
                        Name = BackendName,
                        StorageRef = new ObjectRef { Name = storage.Name, Namespace = storage.Namespace },
                        RetentionPolicy = spec.RetentionPolicy is { } policy
                            ? new ObjectRef { Name = policy.Name, Namespace = policy.NamespaceOr(archiverId.Namespace) }
                            : null,
                    },
                ],
                Sessions =
                [
                    new BackupSessionConfig
                    {
                        Name = FullBackupSession,
                        Scheduler = full?.Scheduler ?? new SchedulerOptions { Schedule = "@daily" },
                        Repositories =
                        [
                            new RepositoryInfo
                            {
                                Name = $"{database.Name}-full",
                                Backend = BackendName,
                                Directory = Directory(archiver, database),
                                EncryptionSecret = spec.EncryptionSecret,
                            },
                        ],
                        Addon = new AddonInfo
                        {
                            Name = "mongodb-addon",
                            Tasks = [new AddonTask { Name = (full?.Driver ?? FullBackupDriver.CSISnapshotter) == FullBackupDriver.CSISnapshotter ? "volume-snapshot" : "logical-backup" }],
                        },
                        FailurePolicy = full?.FailurePolicy,
                        RetryConfig = full?.RetryConfig,
                        Timeout = full?.Timeout,
                        SessionHistoryLimit = full?.SessionHistoryLimit,
                    },
                ],
            },
        };
    }

    /// <summary>
    /// The database's archived oplog as KubeStash's Snapshot. Deliberately not owned by the database (no owner
    /// reference, so the garbage collector leaves it): the history it describes outlives the database, since a
    /// database deleted and restored under its name is recovered from it, and with deletionPolicy WipeOut deleting
    /// it would wipe the oplog itself. The FullBackup Snapshots are not owned for the same reason.
    /// </summary>
    public static Snapshot IncrementalSnapshot(MongoDBArchiver archiver, ResourceId database, string specHash, DateTimeOffset now) => new()
    {
        ApiVersion = Snapshot.ApiVersionName,
        Kind = Snapshot.KindName,
        Metadata = Metadata(SnapshotName(database), database, ResourceId.Of(archiver), specHash),
        Spec = new SnapshotSpec
        {
            Version = "v1",
            Type = SnapshotType.IncrementalBackup,
            AppRef = new TypedObjectRef { ApiGroup = ApiGroups.KubeDb, Kind = MongoDB.KindName, Name = database.Name, Namespace = database.Namespace },
            Repository = $"{database.Name}-full",
            DeletionPolicy = archiver.Spec?.DeletionPolicy == ArchiverDeletionPolicy.WipeOut ? SnapshotDeletionPolicy.WipeOut : SnapshotDeletionPolicy.DoNotDelete,
            SnapshotTime = new SnapshotTime { Created = now, LastUpdated = now },
            Components = [],
        },
        Status = new SnapshotStatus { Phase = SnapshotPhase.Running },
    };

    public static ArchivingSpec Archiving(MongoDBArchiver archiver, ResourceId database, string specHash, string? databaseUid)
    {
        var config = archiver.Spec?.WalBackup?.Config;
        var age = config?.ChunkMaxAge is { } a && GoDuration.TryParse(a, out var parsedAge, out _) ? parsedAge : TimeSpan.FromSeconds(1);
        var size = config?.ChunkMaxSize is { } s && ByteQuantity.TryParse(s, out var parsedSize, out _) ? parsedSize : 16L * 1024 * 1024;
        var idle = config?.IdleFlushInterval is { } i && GoDuration.TryParse(i, out var parsedIdle, out _) ? parsedIdle : ArchivingSpec.DefaultIdleFlush;
        return new ArchivingSpec(StorageId(archiver), Directory(archiver, database), specHash, age, size, databaseUid, idle);
    }

    /// <summary>A reference to the database as its controlling owner, as KubeDB's objects refer to theirs.</summary>
    private static V1OwnerReference OwnedBy(MongoDB db) => new()
    {
        ApiVersion = string.IsNullOrEmpty(db.ApiVersion) ? MongoDB.ApiVersionName : db.ApiVersion,
        Kind = MongoDB.KindName,
        Name = db.Metadata.Name,
        Uid = db.Metadata.Uid ?? throw new ArgumentException($"database {ResourceId.Of(db)} has no uid: only a stored database can own anything", nameof(db)),
        Controller = true,
        BlockOwnerDeletion = true,
    };

    private static V1ObjectMeta Metadata(string name, ResourceId database, ResourceId archiver, string specHash) => new()
    {
        Name = name,
        NamespaceProperty = database.Namespace,
        Labels = new Dictionary<string, string> { [ArchiverLabel] = $"{archiver.Namespace}.{archiver.Name}" },
        Annotations = new Dictionary<string, string> { [ApiGroups.SpecHashAnnotation] = specHash },
    };
}
