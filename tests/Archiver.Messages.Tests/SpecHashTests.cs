using Archiver.Messages.Configuration;
using Archiver.Messages.Manifests;
using Archiver.Messages.Resources;
using CsCheck;

namespace Archiver.Messages.Tests;

public sealed class SpecHashTests
{
    private static readonly Gen<ArchiverInput> Inputs =
        from schedule in Gen.OneOf("0 * * * *", "@hourly", "*/15 * * * *", "30 2 * * 1-5", "@daily")
        from concurrency in Gen.OneOf("Forbid", "Allow", "Replace")
        from maxRetry in Gen.Int[0, 9]
        from delay in Gen.OneOf("30s", "2m", "1h30m", "500ms")
        from retention in Gen.OneOf("7d", "30d", "2w", "1y", "6m")
        from chunkAge in Gen.OneOf("1s", "5s", "250ms")
        from storage in Gen.OneOf("gcs-storage", "s3-storage", "local")
        from prefix in Gen.OneOf("db/$APP_KIND/$APP_NAMESPACE/$APP_NAME", "backups/${APP_NAMESPACE}/${APP_NAME}")
        from pause in Gen.Bool
        from label in Gen.OneOf("a", "b", "c")
        from deletion in Gen.OneOf("Delete", "WipeOut", "DoNotDelete")
        select new ArchiverInput(schedule, concurrency, maxRetry, delay, retention, chunkAge, storage, prefix, pause, label, deletion);

    [Fact]
    public void The_hash_ignores_key_order_formatting_and_quoting()
    {
        Gen.Select(Inputs, Gen.Int, Gen.Int).Sample((input, seedA, seedB) =>
        {
            var a = Hash(new RandomYaml(new Random(seedA)).Render(input.Tree()));
            var b = Hash(new RandomYaml(new Random(seedB)).Render(input.Tree()));
            Assert.Equal(a, b);
        }, iter: 300);
    }

    [Fact]
    public void The_hash_changes_when_a_counted_field_changes()
    {
        Gen.Select(Inputs, Inputs, Gen.Int).Sample((a, b, seed) =>
        {
            var counted = a with { Pause = b.Pause, Label = b.Label, Deletion = b.Deletion };
            var same = counted.CountedEquals(b);
            var ha = Hash(new RandomYaml(new Random(seed)).Render(counted.Tree()));
            var hb = Hash(new RandomYaml(new Random(seed + 1)).Render(b.Tree()));
            Assert.Equal(same, ha == hb);
        }, iter: 300);
    }

    [Fact]
    public void The_hash_ignores_pause_selection_and_deletion_policy()
    {
        Gen.Select(Inputs, Inputs).Sample((a, b) =>
        {
            var onlyUncountedDiffer = b with { Pause = a.Pause, Label = a.Label, Deletion = a.Deletion };
            Assert.Equal(Hash(new RandomYaml(new Random(1)).Render(b.Tree())), Hash(new RandomYaml(new Random(2)).Render(onlyUncountedDiffer.Tree())));
        }, iter: 200);
    }

    [Fact]
    public void Defaults_written_out_and_equivalent_durations_hash_alike()
    {
        const string bare = "spec: {fullBackup: {driver: Logical, scheduler: {schedule: '@daily'}, failurePolicy: Retry, retryConfig: {delay: 2m}}, backupStorage: {ref: {name: s}}}";
        const string spelled = "spec: {fullBackup: {driver: Logical, scheduler: {schedule: '@daily', concurrencyPolicy: Forbid}, failurePolicy: Retry, retryConfig: {delay: 120s}}, backupStorage: {ref: {apiGroup: storage.kubestash.com, kind: BackupStorage, name: s}, prefix: db/$APP_KIND/$APP_NAMESPACE/$APP_NAME}}";
        Assert.Equal(Hash(Header + bare), Hash(Header + spelled));
        Assert.True(SpecHash.IsWellFormed(Hash(Header + bare)));
    }

    [Fact]
    public void The_hash_is_stable_across_versions()
    {
        // Changing this value reconfigures every database in every cluster: do it only on purpose. It is
        // reproducible outside .NET: the first 16 hex digits of SHA-256 over the compact, key-sorted JSON
        // {"backupStorage":{"prefix":"db/$APP_KIND/$APP_NAMESPACE/$APP_NAME","ref":{"apiGroup":"storage.kubestash.com",
        // "kind":"BackupStorage","name":"s"}},"fullBackup":{"driver":"Logical","failurePolicy":"Fail",
        // "scheduler":{"concurrencyPolicy":"Forbid","schedule":"@daily"}}} (checked with Python's hashlib).
        const string manifest = "spec: {fullBackup: {driver: Logical, scheduler: {schedule: '@daily'}}, backupStorage: {ref: {name: s}}}";
        Assert.Equal("532dbd33ca7d4b90", Hash(Header + manifest));
    }

    private const string Header = "apiVersion: archiver.kubedb.com/v1alpha1\nkind: MongoDBArchiver\nmetadata: {name: a, namespace: kubedb}\n";

    private static string Hash(string manifest)
    {
        var result = ManifestReader.Read(manifest);
        Assert.True(result.IsValid, string.Join("\n", result.Errors) + "\n" + manifest);
        return SpecHash.Compute(((MongoDBArchiver)result.Resources[0]).Spec!);
    }

    internal sealed record ArchiverInput(
        string Schedule, string Concurrency, int MaxRetry, string Delay, string Retention, string ChunkAge,
        string Storage, string Prefix, bool Pause, string Label, string Deletion)
    {
        public bool CountedEquals(ArchiverInput other) =>
            this == other with { Pause = Pause, Label = Label, Deletion = Deletion };

        public Dictionary<string, object> Tree() => new()
        {
            ["apiVersion"] = "archiver.kubedb.com/v1alpha1",
            ["kind"] = "MongoDBArchiver",
            ["metadata"] = new Dictionary<string, object> { ["name"] = "a", ["namespace"] = "kubedb" },
            ["spec"] = new Dictionary<string, object>
            {
                ["databases"] = new Dictionary<string, object>
                {
                    ["selector"] = new Dictionary<string, object> { ["matchLabels"] = new Dictionary<string, object> { ["app"] = Label } },
                    ["namespaces"] = new Dictionary<string, object> { ["from"] = "All" },
                },
                ["pause"] = Pause,
                ["fullBackup"] = new Dictionary<string, object>
                {
                    ["driver"] = "Logical",
                    ["scheduler"] = new Dictionary<string, object> { ["schedule"] = Schedule, ["concurrencyPolicy"] = Concurrency },
                    ["failurePolicy"] = "Retry",
                    ["retryConfig"] = new Dictionary<string, object> { ["maxRetry"] = MaxRetry, ["delay"] = Delay },
                },
                ["walBackup"] = new Dictionary<string, object>
                {
                    ["retentionPeriod"] = Retention,
                    ["config"] = new Dictionary<string, object> { ["chunkMaxAge"] = ChunkAge },
                },
                ["backupStorage"] = new Dictionary<string, object>
                {
                    ["ref"] = new Dictionary<string, object> { ["name"] = Storage, ["namespace"] = "stash" },
                    ["prefix"] = Prefix,
                },
                ["deletionPolicy"] = Deletion,
            },
        };
    }
}
