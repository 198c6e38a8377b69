using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Archiver.Messages.Resources;
using Archiver.Messages.Validation;
using k8s;

namespace Archiver.Messages.Configuration;

/// <summary>
/// The value of the <c>archiver.kubedb.com/spec-hash</c> annotation: a hash of exactly the parts of an archiver's
/// spec that change how a database is configured, so a database is reconfigured when one of them changes and
/// never otherwise.
/// <para>Counted: <c>fullBackup</c>, <c>walBackup</c>, <c>backupStorage</c>, <c>retentionPolicy</c>,
/// <c>encryptionSecret</c>. Not counted: <c>databases</c> (which databases, not how), <c>pause</c> (stops new
/// work but changes no configuration), <c>deletionPolicy</c> (acts only when the archiver is deleted), metadata
/// and status.</para>
/// <para>Independent of key order, formatting and aliases, because it hashes the typed spec written as canonical
/// JSON (keys sorted, nulls and empty objects left out); defaults are written out and durations normalised
/// first, so <c>concurrencyPolicy: Forbid</c> hashes like no concurrencyPolicy, and <c>120s</c> like <c>2m</c>.</para>
/// </summary>
public static class SpecHash
{
    /// <summary>Hex digits kept of the SHA-256: 64 bits, plenty to tell configurations apart.</summary>
    public const int Length = 16;

    public static string Compute(MongoDBArchiverSpec spec)
    {
        var counted = new CountedFields(
            WithDefaults(spec.FullBackup),
            WithDefaults(spec.WalBackup),
            WithDefaults(spec.BackupStorage),
            spec.RetentionPolicy,
            spec.EncryptionSecret);
        var canonical = Canonical(JsonNode.Parse(KubernetesJson.Serialize(counted)));
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes(canonical?.ToJsonString() ?? "null"));
        return Convert.ToHexStringLower(digest)[..Length];
    }

    public static bool IsWellFormed(string? hash) =>
        hash is { Length: Length } && hash.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');

    private static FullBackupOptions? WithDefaults(FullBackupOptions? full) => full is null ? null : full with
    {
        Driver = full.Driver ?? FullBackupDriver.CSISnapshotter,
        FailurePolicy = full.FailurePolicy ?? FailurePolicy.Fail,
        Timeout = Duration(full.Timeout),
        Scheduler = full.Scheduler is null ? null : full.Scheduler with
        {
            Schedule = full.Scheduler.Schedule.Trim(),
            ConcurrencyPolicy = full.Scheduler.ConcurrencyPolicy ?? ConcurrencyPolicy.Forbid,
        },
        RetryConfig = full.RetryConfig is null ? null : full.RetryConfig with { Delay = Duration(full.RetryConfig.Delay) },
    };

    private static WalBackupOptions? WithDefaults(WalBackupOptions? wal) => wal is null ? null : wal with
    {
        Config = wal.Config is null ? null : wal.Config with
        {
            ChunkMaxAge = Duration(wal.Config.ChunkMaxAge),
            IdleFlushInterval = Duration(wal.Config.IdleFlushInterval),
            CompactAfter = Duration(wal.Config.CompactAfter),
            LagThreshold = Duration(wal.Config.LagThreshold),
            HeadroomThreshold = Duration(wal.Config.HeadroomThreshold),
        },
    };

    private static BackupStorageTarget? WithDefaults(BackupStorageTarget? target) => target is null ? null : target with
    {
        Prefix = target.Prefix ?? PrefixTemplate.Default,
        Ref = target.Ref is null ? null : target.Ref with
        {
            ApiGroup = string.IsNullOrEmpty(target.Ref.ApiGroup) ? ApiGroups.KubeStashStorage : target.Ref.ApiGroup,
            Kind = string.IsNullOrEmpty(target.Ref.Kind) ? BackupStorage.KindName : target.Ref.Kind,
        },
    };

    private static string? Duration(string? text) =>
        text is not null && GoDuration.TryParse(text, out var span, out _) ? GoDuration.Format(span) : text;

    /// <summary>Keys sorted at every level; nulls and objects left empty by that are dropped.</summary>
    private static JsonNode? Canonical(JsonNode? node) => node switch
    {
        JsonObject obj => SortedObject(obj),
        JsonArray array => new JsonArray([.. array.Select(Canonical)]),
        _ => node?.DeepClone(),
    };

    private static JsonObject? SortedObject(JsonObject obj)
    {
        var sorted = new JsonObject();
        foreach (var (key, value) in obj.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (Canonical(value) is { } canonical) sorted[key] = canonical;
        }

        return sorted.Count == 0 ? null : sorted;
    }

    private sealed record CountedFields(
        [property: JsonPropertyName("fullBackup")] FullBackupOptions? FullBackup,
        [property: JsonPropertyName("walBackup")] WalBackupOptions? WalBackup,
        [property: JsonPropertyName("backupStorage")] BackupStorageTarget? BackupStorage,
        [property: JsonPropertyName("retentionPolicy")] ObjectRef? RetentionPolicy,
        [property: JsonPropertyName("encryptionSecret")] ObjectRef? EncryptionSecret);
}
