using Archiver.Messages.Manifests;

namespace Archiver.Messages.Tests;

/// <summary>
/// One manifest per validation rule, each breaking exactly that rule, with the exact lines a user sees:
/// <c>Kind/namespace/name: field.path: reason</c>.
/// </summary>
public sealed class ValidationRuleTests
{
    public static TheoryData<string, string, string[]> Rules => new()
    {
        { "unknown field suggestion", ArchiverWith("spec: {retentionPolcy: {name: p}, fullBackup: {driver: Logical, scheduler: {schedule: \"@hourly\"}}, backupStorage: {ref: {name: s}}}"), ["MongoDBArchiver/kubedb/a: spec.retentionPolcy: unknown field (did you mean \"retentionPolicy\"?)"] },
        { "unknown field", ArchiverWith("spec: {colour: blue, fullBackup: {driver: Logical, scheduler: {schedule: \"@hourly\"}}, backupStorage: {ref: {name: s}}}"), ["MongoDBArchiver/kubedb/a: spec.colour: unknown field"] },
        { "bool", ArchiverWith("spec: {pause: maybe, backupStorage: {ref: {name: s}}}"), ["MongoDBArchiver/kubedb/a: spec.pause: must be true or false, not \"maybe\""] },
        { "integer", ArchiverWith("spec: {fullBackup: {driver: Logical, scheduler: {schedule: \"@hourly\"}, failurePolicy: Retry, retryConfig: {maxRetry: two}}, backupStorage: {ref: {name: s}}}"), ["MongoDBArchiver/kubedb/a: spec.fullBackup.retryConfig.maxRetry: must be an integer, not \"two\""] },
        { "deletionPolicy", ArchiverWith("spec: {deletionPolicy: Keep, backupStorage: {ref: {name: s}}}"), ["MongoDBArchiver/kubedb/a: spec.deletionPolicy: must be one of Delete, WipeOut, DoNotDelete, not \"Keep\""] },
        { "concurrencyPolicy", ArchiverWith("spec: {fullBackup: {driver: Logical, scheduler: {schedule: \"@hourly\", concurrencyPolicy: Sometimes}}, backupStorage: {ref: {name: s}}}"), ["MongoDBArchiver/kubedb/a: spec.fullBackup.scheduler.concurrencyPolicy: must be one of Allow, Forbid, Replace, not \"Sometimes\""] },
        { "failurePolicy", ArchiverWith("spec: {fullBackup: {driver: Logical, scheduler: {schedule: \"@hourly\"}, failurePolicy: Ignore}, backupStorage: {ref: {name: s}}}"), ["MongoDBArchiver/kubedb/a: spec.fullBackup.failurePolicy: must be one of Fail, Retry, not \"Ignore\""] },
        { "driver", ArchiverWith("spec: {fullBackup: {driver: Restic, scheduler: {schedule: \"@hourly\"}}, backupStorage: {ref: {name: s}}}"), ["MongoDBArchiver/kubedb/a: spec.fullBackup.driver: must be one of CSISnapshotter, Logical, not \"Restic\""] },
        { "namespaces.from", ArchiverWith("spec: {databases: {namespaces: {from: Everywhere}}, backupStorage: {ref: {name: s}}}"), ["MongoDBArchiver/kubedb/a: spec.databases.namespaces.from: must be one of Same, All, Selector, not \"Everywhere\""] },
        { "required storage", ArchiverWith("spec: {pause: true}"), ["MongoDBArchiver/kubedb/a: spec.backupStorage: required"] },
        { "required name", ArchiverWith("spec: {backupStorage: {ref: {namespace: stash}}}"), ["MongoDBArchiver/kubedb/a: spec.backupStorage.ref.name: required"] },
        { "mapping", ArchiverWith("spec: {fullBackup: nightly, backupStorage: {ref: {name: s}}}"), ["MongoDBArchiver/kubedb/a: spec.fullBackup: must be a mapping, not \"nightly\""] },
        { "list", ArchiverWith("spec: {databases: {selector: {matchExpressions: {key: a}}}, backupStorage: {ref: {name: s}}}"), ["MongoDBArchiver/kubedb/a: spec.databases.selector.matchExpressions: must be a list, not a mapping"] },
        { "alias twice", ArchiverWith("spec: {walBackup: {retentionPeriod: 30d}, logBackup: {retentionPeriod: 30d}, backupStorage: {ref: {name: s}}}"), ["MongoDBArchiver/kubedb/a: spec.logBackup: set twice: \"walBackup\" and \"logBackup\" are the same field"] },
        { "cron fields", ArchiverWith("spec: {fullBackup: {driver: Logical, scheduler: {schedule: \"0 0 * * * *\"}}, backupStorage: {ref: {name: s}}}"), ["MongoDBArchiver/kubedb/a: spec.fullBackup.scheduler.schedule: must have five fields (minute hour day-of-month month day-of-week), not 6: \"0 0 * * * *\""] },
        { "cron value", ArchiverWith("spec: {fullBackup: {driver: Logical, scheduler: {schedule: \"61 * * * *\"}}, backupStorage: {ref: {name: s}}}"), ["MongoDBArchiver/kubedb/a: spec.fullBackup.scheduler.schedule: is not a valid cron schedule: Minutes: Value must be a number between 0 and 59 (all inclusive): \"61 * * * *\""] },
        { "cron macro", ArchiverWith("spec: {fullBackup: {driver: Logical, scheduler: {schedule: \"@every_minute\"}}, backupStorage: {ref: {name: s}}}"), ["MongoDBArchiver/kubedb/a: spec.fullBackup.scheduler.schedule: unknown macro \"@every_minute\"; use one of @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly or five cron fields"] },
        { "duration", ArchiverWith("spec: {fullBackup: {driver: Logical, scheduler: {schedule: \"@daily\"}, failurePolicy: Retry, retryConfig: {delay: 2 minutes}}, backupStorage: {ref: {name: s}}}"), ["MongoDBArchiver/kubedb/a: spec.fullBackup.retryConfig.delay: must be a duration such as 30s, 2m, 1h30m or 500ms, not \"2 minutes\""] },
        { "duration negative", ArchiverWith("spec: {fullBackup: {driver: Logical, scheduler: {schedule: \"@daily\"}, timeout: -1h}, backupStorage: {ref: {name: s}}}"), ["MongoDBArchiver/kubedb/a: spec.fullBackup.timeout: must not be negative, not \"-1h\""] },
        { "duration zero", ArchiverWith("spec: {walBackup: {config: {chunkMaxAge: 0s}}, backupStorage: {ref: {name: s}}}"), ["MongoDBArchiver/kubedb/a: spec.walBackup.config.chunkMaxAge: must be longer than zero, not \"0s\""] },
        { "chunk size", ArchiverWith("spec: {walBackup: {config: {chunkMaxSize: 1Ti}}, backupStorage: {ref: {name: s}}}"), ["MongoDBArchiver/kubedb/a: spec.walBackup.config.chunkMaxSize: must be between 4Ki and 256Mi, not \"1Ti\""] },
        { "chunk size syntax", ArchiverWith("spec: {walBackup: {config: {chunkMaxSize: 16MB}}, backupStorage: {ref: {name: s}}}"), ["MongoDBArchiver/kubedb/a: spec.walBackup.config.chunkMaxSize: must be a byte quantity such as 16Mi, 512Ki or 1G, not \"16MB\""] },
        { "runtime quantity", ArchiverWith("spec: {walBackup: {runtimeSettings: {container: {resources: {requests: {cpu: 100m, memory: lots}}}}}, backupStorage: {ref: {name: s}}}"), ["MongoDBArchiver/kubedb/a: spec.walBackup.runtimeSettings.container.resources.requests.memory: must be a quantity such as 100m or 128Mi, not \"lots\""] },
        { "runtime shape", ArchiverWith("spec: {walBackup: {runtimeSettings: {container: {securityContext: [], env: {a: b}}}}, backupStorage: {ref: {name: s}}}"), ["MongoDBArchiver/kubedb/a: spec.walBackup.runtimeSettings.container.securityContext: must be an object", "MongoDBArchiver/kubedb/a: spec.walBackup.runtimeSettings.container.env: must be a list"] },
        { "retentionPeriod", ArchiverWith("spec: {walBackup: {retentionPeriod: 30 days}, backupStorage: {ref: {name: s}}}"), ["MongoDBArchiver/kubedb/a: spec.walBackup.retentionPeriod: must be a whole number and a unit (d, w, m (months) or y) such as 30d or 1y, not \"30 days\""] },
        { "retention hours", ArchiverWith("spec: {walBackup: {retentionPeriod: 12h}, backupStorage: {ref: {name: s}}}"), ["MongoDBArchiver/kubedb/a: spec.walBackup.retentionPeriod: must be a whole number and a unit (d, w, m (months) or y) such as 30d or 1y, not \"12h\""] },
        { "retry without Retry", ArchiverWith("spec: {fullBackup: {driver: Logical, scheduler: {schedule: \"@daily\"}, retryConfig: {maxRetry: 2}}, backupStorage: {ref: {name: s}}}"), ["MongoDBArchiver/kubedb/a: spec.fullBackup.retryConfig: is used only when failurePolicy is Retry, and failurePolicy is Fail"] },
        { "csi required", ArchiverWith("spec: {fullBackup: {scheduler: {schedule: \"@daily\"}}, backupStorage: {ref: {name: s}}}"), ["MongoDBArchiver/kubedb/a: spec.fullBackup.csiSnapshotter: required when driver is CSISnapshotter (the default): name the volumeSnapshotClassName"] },
        { "selector operator", ArchiverWith("spec: {databases: {selector: {matchExpressions: [{key: tier, operator: Has, values: [a]}]}}, backupStorage: {ref: {name: s}}}"), ["MongoDBArchiver/kubedb/a: spec.databases.selector.matchExpressions[0].operator: must be one of In, NotIn, Exists, DoesNotExist, not \"Has\""] },
        { "selector In empty", ArchiverWith("spec: {databases: {selector: {matchExpressions: [{key: tier, operator: In}]}}, backupStorage: {ref: {name: s}}}"), ["MongoDBArchiver/kubedb/a: spec.databases.selector.matchExpressions[0].values: must not be empty when operator is In"] },
        { "selector Exists values", ArchiverWith("spec: {databases: {selector: {matchExpressions: [{key: tier, operator: Exists, values: [a]}]}}, backupStorage: {ref: {name: s}}}"), ["MongoDBArchiver/kubedb/a: spec.databases.selector.matchExpressions[0].values: must be empty when operator is Exists"] },
        { "selector label value", ArchiverWith("spec: {databases: {selector: {matchLabels: {tier: \"no spaces\"}}}, backupStorage: {ref: {name: s}}}"), ["MongoDBArchiver/kubedb/a: spec.databases.selector.matchLabels.tier: value \"no spaces\" must be at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit"] },
        { "from Selector no selector", ArchiverWith("spec: {databases: {namespaces: {from: Selector}}, backupStorage: {ref: {name: s}}}"), ["MongoDBArchiver/kubedb/a: spec.databases.namespaces.selector: required when from is Selector (an empty selector would select every namespace: use from: All)"] },
        { "from Same with selector", ArchiverWith("spec: {databases: {namespaces: {from: Same, selector: {matchLabels: {a: b}}}}, backupStorage: {ref: {name: s}}}"), ["MongoDBArchiver/kubedb/a: spec.databases.namespaces.selector: is used only when from is Selector, and from is Same"] },
        { "ref kind", ArchiverWith("spec: {backupStorage: {ref: {kind: Secret, name: s}}}"), ["MongoDBArchiver/kubedb/a: spec.backupStorage.ref.kind: must be BackupStorage, not \"Secret\""] },
        { "ref name", ArchiverWith("spec: {backupStorage: {ref: {name: My_Storage}}}"), ["MongoDBArchiver/kubedb/a: spec.backupStorage.ref.name: must be a DNS-1123 subdomain (lower-case letters, digits, '-' and '.', starting and ending with a letter or digit), not \"My_Storage\""] },
        { "prefix var", ArchiverWith("spec: {backupStorage: {ref: {name: s}, prefix: \"db/$APP_KIND/$APP_NAMESPACE/$DB_NAME\"}}"), ["MongoDBArchiver/kubedb/a: spec.backupStorage.prefix: unknown variable $DB_NAME; the variables are $APP_KIND, $APP_NAMESPACE, $APP_NAME"] },
        { "prefix abs", ArchiverWith("spec: {backupStorage: {ref: {name: s}, prefix: \"/db/$APP_NAME\"}}"), ["MongoDBArchiver/kubedb/a: spec.backupStorage.prefix: must be relative to the storage, not start with '/'"] },
        { "prefix dotdot", ArchiverWith("spec: {backupStorage: {ref: {name: s}, subDir: \"../other\"}}"), ["MongoDBArchiver/kubedb/a: spec.backupStorage.subDir: must not contain '.' or '..' segments"] },
        { "name", "apiVersion: archiver.kubedb.com/v1alpha1\nkind: MongoDBArchiver\nmetadata: {name: Archiver_1, namespace: kubedb}\nspec: {backupStorage: {ref: {name: s}}}", ["MongoDBArchiver/kubedb/Archiver_1: metadata.name: must be a DNS-1123 subdomain (lower-case letters, digits, '-' and '.', starting and ending with a letter or digit), not \"Archiver_1\""] },
        { "namespace", "apiVersion: archiver.kubedb.com/v1alpha1\nkind: MongoDBArchiver\nmetadata: {name: a, namespace: Team.A}\nspec: {backupStorage: {ref: {name: s}}}", ["MongoDBArchiver/Team.A/a: metadata.namespace: must be a DNS-1123 label (lower-case letters, digits and '-', starting and ending with a letter or digit), not \"Team.A\""] },
        { "ops operation", "apiVersion: ops.kubedb.com/v1alpha1\nkind: MongoDBOpsRequest\nmetadata: {name: o, namespace: demo}\nspec: {type: Backup, databaseRef: {name: db}, archiver: {operation: Enable, ref: {name: a}}}", ["MongoDBOpsRequest/demo/o: spec.archiver.operation: must be one of ConfigureArchiver, DisableArchiver, not \"Enable\""] },
        { "ops type", "apiVersion: ops.kubedb.com/v1alpha1\nkind: MongoDBOpsRequest\nmetadata: {name: o, namespace: demo}\nspec: {type: Upgrade, databaseRef: {name: db}}", ["MongoDBOpsRequest/demo/o: spec.type: must be one of Backup, not \"Upgrade\""] },
        { "ops archiver required", "apiVersion: ops.kubedb.com/v1alpha1\nkind: MongoDBOpsRequest\nmetadata: {name: o, namespace: demo}\nspec: {type: Backup, databaseRef: {name: db}}", ["MongoDBOpsRequest/demo/o: spec.archiver: required when type is Backup: say which operation (ConfigureArchiver or DisableArchiver) and which archiver"] },
        { "db sharded restore", "apiVersion: kubedb.com/v1alpha2\nkind: MongoDB\nmetadata: {name: d, namespace: demo}\nspec: {shardTopology: {shard: {shards: 2}, configServer: {replicas: 3}, mongos: {replicas: 2}}, init: {archiver: {recoveryTimeStamp: \"2020-10-28T01:48:23Z\", repository: {name: s}}}}", [] },
        { "db timestamp offset", "apiVersion: kubedb.com/v1alpha2\nkind: MongoDB\nmetadata: {name: d, namespace: demo}\nspec: {init: {archiver: {recoveryTimeStamp: \"2020-10-28T01:48:23.121314\", repository: {name: s}}}}", ["MongoDB/demo/d: spec.init.archiver.recoveryTimeStamp: must be an RFC 3339 time such as 2020-10-28T01:48:23.121314+03:00, not \"2020-10-28T01:48:23.121314\""] },
        { "db timestamp digits", "apiVersion: kubedb.com/v1alpha2\nkind: MongoDB\nmetadata: {name: d, namespace: demo}\nspec: {init: {archiver: {recoveryTimestamp: \"2020-10-28T01:48:23.1213145+03:00\", repository: {name: s}}}}", ["MongoDB/demo/d: spec.init.archiver.recoveryTimeStamp: has 7 fractional digits; times are kept to the microsecond (6 digits), not \"2020-10-28T01:48:23.1213145+03:00\""] },
        { "db timestamp month", "apiVersion: kubedb.com/v1alpha2\nkind: MongoDB\nmetadata: {name: d, namespace: demo}\nspec: {init: {archiver: {recoveryTimeStamp: \"2020-13-28T01:48:23Z\", repository: {name: s}}}}", ["MongoDB/demo/d: spec.init.archiver.recoveryTimeStamp: is not a valid date or time (month, day, hour or offset out of range): \"2020-13-28T01:48:23Z\""] },
        { "db hash", "apiVersion: kubedb.com/v1alpha2\nkind: MongoDB\nmetadata: {name: d, namespace: demo, annotations: {archiver.kubedb.com/spec-hash: dfgdfgdg}}\nspec: {version: \"6.0\"}", ["MongoDB/demo/d: metadata.annotations.archiver.kubedb.com/spec-hash: must be 16 lower-case hex digits as Archiver writes it, not \"dfgdfgdg\""] },
        { "snapshot type", "apiVersion: storage.kubestash.com/v1alpha1\nkind: Snapshot\nmetadata: {name: s, namespace: demo}\nspec: {type: Differential, appRef: {name: db}, repository: r}", ["Snapshot/demo/s: spec.type: must be one of FullBackup, IncrementalBackup, not \"Differential\""] },
        { "snapshot deletion", "apiVersion: storage.kubestash.com/v1alpha1\nkind: Snapshot\nmetadata: {name: s, namespace: demo}\nspec: {type: FullBackup, appRef: {name: db}, repository: r, deletionPolicy: Delete}", ["Snapshot/demo/s: spec.deletionPolicy: must be one of WipeOut, DoNotDelete, not \"Delete\""] },
        { "snapshot segment", "apiVersion: storage.kubestash.com/v1alpha1\nkind: Snapshot\nmetadata: {name: s, namespace: demo}\nspec: {type: IncrementalBackup, appRef: {name: db}, repository: r, components: [{name: m-0, walSegment: {start: \"2020-10-28T12:11:10+03:00\", end: \"2020-10-28T12:11:09+03:00\"}}]}", ["Snapshot/demo/s: spec.components[0].walSegment.end: must not be before walSegment.start"] },
        { "storage block", "apiVersion: storage.kubestash.com/v1alpha1\nkind: BackupStorage\nmetadata: {name: s, namespace: stash}\nspec: {storage: {provider: s3, local: {mountPath: /backups}}}", ["BackupStorage/stash/s: spec.storage.local: is used only when provider is local, and provider is s3", "BackupStorage/stash/s: spec.storage.s3: required when provider is s3"] },
        { "storage provider KubeStash only names", "apiVersion: storage.kubestash.com/v1alpha1\nkind: BackupStorage\nmetadata: {name: s, namespace: stash}\nspec: {storage: {provider: swift}}", ["BackupStorage/stash/s: spec.storage.provider: must be one of local, s3, gcs, azure, not \"swift\": KubeStash names this provider but defines no fields for it (storage.kubestash.com/v1alpha1), so no BackupStorage can describe one; use local, s3, gcs or azure"] },
        { "storage endpoint on s3", "apiVersion: storage.kubestash.com/v1alpha1\nkind: BackupStorage\nmetadata: {name: s, namespace: stash, annotations: {archiver.kubedb.com/storage-endpoint: \"http://127.0.0.1:9000\"}}\nspec: {storage: {provider: s3, s3: {endpoint: \"http://s3.example.com\", bucket: backups}}}", ["BackupStorage/stash/s: metadata.annotations.archiver.kubedb.com/storage-endpoint: is for azure and gcs storages; an s3 storage has none (set spec.storage.s3.endpoint)"] },
        { "storage endpoint not a uri", "apiVersion: storage.kubestash.com/v1alpha1\nkind: BackupStorage\nmetadata: {name: s, namespace: stash, annotations: {archiver.kubedb.com/storage-endpoint: \"127.0.0.1:10000\"}}\nspec: {storage: {provider: azure, azure: {storageAccount: a, container: c, secretName: k}}}", ["BackupStorage/stash/s: metadata.annotations.archiver.kubedb.com/storage-endpoint: must be an absolute http or https URI, not \"127.0.0.1:10000\""] },
        { "storage endpoint gcs", "apiVersion: storage.kubestash.com/v1alpha1\nkind: BackupStorage\nmetadata: {name: s, namespace: stash, annotations: {archiver.kubedb.com/storage-endpoint: \"https://storage.example.com/storage/v1/\"}}\nspec: {storage: {provider: gcs, gcs: {bucket: b, secretName: k}}}", [] },
        { "storage provider unknown", "apiVersion: storage.kubestash.com/v1alpha1\nkind: BackupStorage\nmetadata: {name: s, namespace: stash}\nspec: {storage: {provider: ftp}}", ["BackupStorage/stash/s: spec.storage.provider: must be one of local, s3, gcs, azure, not \"ftp\""] },
        { "storage bucket", "apiVersion: storage.kubestash.com/v1alpha1\nkind: BackupStorage\nmetadata: {name: s, namespace: stash}\nspec: {storage: {provider: s3, s3: {endpoint: \"s3.example.com\", bucket: My_Bucket}}}", ["BackupStorage/stash/s: spec.storage.s3.endpoint: must be an http or https URL, not \"s3.example.com\"", "BackupStorage/stash/s: spec.storage.s3.bucket: must be 3 to 63 lower-case letters, digits, '-' or '.', starting and ending with a letter or digit, not \"My_Bucket\""] },
        { "retention policy", "apiVersion: storage.kubestash.com/v1alpha1\nkind: RetentionPolicy\nmetadata: {name: r, namespace: stash}\nspec: {maxRetentionPeriod: 30s, successfulSnapshots: {last: -1}}", ["RetentionPolicy/stash/r: spec.maxRetentionPeriod: must be a whole number and a unit (h, d, w, m (months) or y) such as 30d or 1y, not \"30s\"", "RetentionPolicy/stash/r: spec.successfulSnapshots.last: must be at least 0, not -1"] },
        { "config backend ref", "apiVersion: core.kubestash.com/v1alpha1\nkind: BackupConfiguration\nmetadata: {name: c, namespace: demo}\nspec: {target: {name: db}, backends: [{name: b1, storageRef: {name: s}}], sessions: [{name: full, scheduler: {schedule: \"@daily\"}, repositories: [{name: r, backend: b2, directory: db/x}]}]}", ["BackupConfiguration/demo/c: spec.sessions[0].repositories[0].backend: names no backend of spec.backends: \"b2\""] },
        { "unknown kind", "apiVersion: kubedb.com/v1alpha2\nkind: Postgres\nmetadata: {name: p}", ["document 1 (Postgres): kind: unknown kind \"Postgres\"; Archiver reads MongoDBArchiver (archiver.kubedb.com/v1alpha1), MongoDBOpsRequest (ops.kubedb.com/v1alpha1), MongoDB (kubedb.com/v1alpha2), BackupConfiguration (core.kubestash.com/v1alpha1), Snapshot (storage.kubestash.com/v1alpha1), BackupStorage (storage.kubestash.com/v1alpha1), RetentionPolicy (storage.kubestash.com/v1alpha1)"] },
        { "wrong apiVersion", "apiVersion: kubedb.com/v1\nkind: MongoDB\nmetadata: {name: p}\nspec: {}", ["MongoDB/p: apiVersion: must be kubedb.com/v1alpha2 for kind MongoDB, not \"kubedb.com/v1\""] },
        { "missing kind", "apiVersion: kubedb.com/v1\nmetadata: {name: p}", ["document 1: kind: required"] },
        { "not mapping", "- just\n- a list", ["document 1: must be a mapping with apiVersion, kind and metadata"] },
        { "not yaml", ArchiverWith("spec: {a: [1, 2}"), ["line 4, column 16: not valid YAML or JSON: While parsing a flow sequence, did not find expected ',' or ']'."] },
        { "three mistakes", "apiVersion: archiver.kubedb.com/v1alpha1\nkind: MongoDBArchiver\nmetadata: {name: a, namespace: kubedb}\nspec:\n  retentionPolcy: {name: p}\n  fullBackup:\n    driver: Logical\n    scheduler: {schedule: \"0 25 * * *\"}\n  backupStorage: {ref: {name: s}}\n  deletionPolicy: Keep", ["MongoDBArchiver/kubedb/a: spec.retentionPolcy: unknown field (did you mean \"retentionPolicy\"?)", "MongoDBArchiver/kubedb/a: spec.fullBackup.scheduler.schedule: is not a valid cron schedule: Hours: Value must be a number between 0 and 23 (all inclusive): \"0 25 * * *\"", "MongoDBArchiver/kubedb/a: spec.deletionPolicy: must be one of Delete, WipeOut, DoNotDelete, not \"Keep\""] },
    };

    [Theory]
    [MemberData(nameof(Rules))]
    public void Each_rule_is_reported_with_its_field_path_and_reason(string rule, string manifest, string[] expected)
    {
        var errors = ManifestReader.Read(manifest).Errors.Select(e => e.ToString()).ToArray();
        Assert.True(expected.SequenceEqual(errors), $"{rule}:\nexpected\n  {string.Join("\n  ", expected)}\nactual\n  {string.Join("\n  ", errors)}");
    }

    [Fact]
    public void In_a_cluster_a_local_storage_must_be_a_folder_the_node_has_mounted()
    {
        const string manifest = "apiVersion: storage.kubestash.com/v1alpha1\nkind: BackupStorage\nmetadata: {name: s, namespace: stash}\nspec: {storage: {provider: local, local: {mountPath: /backups, nfs: {server: nfs.local, path: /exports}}}}";
        var offline = ManifestReader.Read(manifest);

        var refused = offline.InCluster(_ => "no such folder");
        var mounted = offline.InCluster(_ => null);

        Assert.True(offline.IsValid);
        Assert.True(mounted.IsValid);
        var error = Assert.Single(refused.Errors).ToString();
        Assert.StartsWith("BackupStorage/stash/s: spec.storage.local.mountPath: /backups is not a folder mounted here (no such folder). ", error, StringComparison.Ordinal);
        Assert.EndsWith("mount it into the node's StatefulSet too (a ReadWriteMany claim, an nfs or a hostPath volume), or use an s3 storage", error, StringComparison.Ordinal);
        // Without a volume the database pods would keep the oplog each on its own disk.
        var noVolume = ManifestReader.Read(manifest.Replace(", nfs: {server: nfs.local, path: /exports}", "", StringComparison.Ordinal)).InCluster(_ => null);
        Assert.Equal(["BackupStorage/stash/s: spec.storage.local: names no volume (persistentVolumeClaim, hostPath or nfs) for the database pods to mount at /backups: their sidecars would write the oplog to each pod's own disk"], noVolume.Errors.Select(e => e.ToString()));
    }

    [Fact]
    public void In_a_cluster_a_standalone_asking_to_be_archived_or_restored_is_refused_naming_spec_replicaSet()
    {
        const string standalone = "apiVersion: kubedb.com/v1alpha2\nkind: MongoDB\nmetadata: {name: one, namespace: demo}\nspec: {version: \"7.0.12\", archiver: {ref: {name: nightly}}}";

        var errors = ManifestReader.Read(standalone).InCluster(_ => null).Errors.Select(e => e.ToString()).ToList();

        Assert.True(ManifestReader.Read(standalone).IsValid);
        Assert.Equal([$"MongoDB/demo/one: spec.replicaSet: {Resources.MongoDB.StandaloneReason}"], errors);
        Assert.True(ManifestReader.Read(standalone.Replace("version: \"7.0.12\"", "version: \"7.0.12\", replicaSet: {name: rs0}", StringComparison.Ordinal)).InCluster(_ => null).IsValid);
        Assert.True(ManifestReader.Read(standalone.Replace(", archiver: {ref: {name: nightly}}", "", StringComparison.Ordinal)).InCluster(_ => null).IsValid);
    }

    [Fact]
    public void The_node_can_tell_a_folder_it_can_write_from_one_that_is_not_there()
    {
        var folder = Directory.CreateTempSubdirectory("archiver-folder-").FullName;
        try
        {
            Assert.Null(Validation.LocalStorageInCluster.FolderProblem(folder));
            Assert.Equal("no such folder", Validation.LocalStorageInCluster.FolderProblem(Path.Combine(folder, "absent")));
            Assert.Empty(Directory.EnumerateFileSystemEntries(folder));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Three_mistakes_give_three_errors_each_with_its_line()
    {
        const string manifest = """
            apiVersion: archiver.kubedb.com/v1alpha1
            kind: MongoDBArchiver
            metadata: {name: a, namespace: kubedb}
            spec:
              retentionPolcy: {name: p}
              fullBackup:
                driver: Logical
                scheduler: {schedule: "0 25 * * *"}
              backupStorage: {ref: {name: s}}
              deletionPolicy: Keep
            """;
        var errors = ManifestReader.Read(manifest).Errors.ToList();
        Assert.Equal(3, errors.Count);
        Assert.Equal([5, 8, 10], errors.Select(e => e.Line));
    }

    [Fact]
    public void Errors_of_every_document_are_reported_not_only_the_first()
    {
        var manifest = string.Join("\n---\n",
            ArchiverWith("spec: {pause: maybe, backupStorage: {ref: {name: s}}}"),
            "apiVersion: x/v1\nkind: Unknown\nmetadata: {name: u}",
            ArchiverWith("spec: {backupStorage: {ref: {name: s}}, deletionPolicy: Keep}"));
        var result = ManifestReader.Read(manifest);
        Assert.Equal(3, result.Documents.Count);
        Assert.Equal(3, result.Errors.Count());
        Assert.False(result.IsValid);
        Assert.Throws<InvalidOperationException>(() => result.Resources);
    }

    [Fact]
    public void A_valid_macro_schedule_and_aliases_are_accepted()
    {
        var result = ManifestReader.Read(ArchiverWith(
            "spec: {fullBackup: {driver: VolumeSnapshotter, volumeSnapshotter: {volumeSnapshotClassName: vsc}, scheduler: {schedule: \"@hourly\"}}, logBackup: {retentionPeriod: 1y}, backupStorage: {ref: {name: s}}, deletionPolicy: Retain}"));
        Assert.Empty(result.Errors);
        var spec = ((Resources.MongoDBArchiver)result.Resources[0]).Spec!;
        Assert.Equal(Resources.FullBackupDriver.CSISnapshotter, spec.FullBackup!.Driver);
        Assert.Equal("vsc", spec.FullBackup.CsiSnapshotter!.VolumeSnapshotClassName);
        Assert.Equal("1y", spec.WalBackup!.RetentionPeriod);
        Assert.Equal(Resources.ArchiverDeletionPolicy.DoNotDelete, spec.DeletionPolicy);
        var yaml = ManifestWriter.ToYaml(result.Resources);
        Assert.Contains("driver: CSISnapshotter", yaml, StringComparison.Ordinal);
        Assert.Contains("walBackup:", yaml, StringComparison.Ordinal);
        Assert.Contains("deletionPolicy: DoNotDelete", yaml, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_fields_are_dropped_only_when_strictness_is_turned_off()
    {
        var manifest = ArchiverWith("spec: {colour: blue, backupStorage: {ref: {name: s}}}");
        Assert.Single(ManifestReader.Read(manifest).Errors);
        Assert.Empty(ManifestReader.Read(manifest, strict: false).Errors);
    }

    private static string ArchiverWith(string spec) =>
        "apiVersion: archiver.kubedb.com/v1alpha1\nkind: MongoDBArchiver\nmetadata: {name: a, namespace: kubedb}\n" + spec;
}
