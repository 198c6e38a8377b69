using Archiver.Messages.Validation;
using System.Text.Json.Serialization;

namespace Archiver.Messages.Resources;

/// <summary>One change to one database, carried out step by step; for Archiver, configuring or disabling archiving.</summary>
public sealed record MongoDBOpsRequest : Resource<MongoDBOpsRequestSpec, MongoDBOpsRequestStatus>
{
    public const string KindName = "MongoDBOpsRequest";
    public const string ApiVersionName = ApiGroups.OpsV1Alpha1;
}

/// <summary>Which change, to which database.</summary>
public sealed record MongoDBOpsRequestSpec
{
    /// <summary>The kind of change; Archiver carries out Backup requests.</summary>
    [JsonPropertyName("type"), RequiredField] public OpsRequestType? Type { get; init; }
    /// <summary>The database, in the ops request's own namespace.</summary>
    [JsonPropertyName("databaseRef"), RequiredField] public DatabaseRef? DatabaseRef { get; init; }
    /// <summary>Which archiving change, by which archiver; required when <c>type</c> is Backup.</summary>
    [JsonPropertyName("archiver")] public ArchiverOperation? Archiver { get; init; }
    /// <summary>Go duration after which the request is failed.</summary>
    [JsonPropertyName("timeout"), Pattern(GoDuration.SchemaPattern)] public string? Timeout { get; init; }
    /// <summary>When the request may start: IfReady (the default), once the database is ready, or Always.</summary>
    [JsonPropertyName("apply")] public OpsRequestApply? Apply { get; init; }
}

/// <summary>KubeDB's ops requests have many types; Archiver carries out <c>Backup</c> only.</summary>
[JsonConverter(typeof(AliasedEnumConverter<OpsRequestType>))]
public enum OpsRequestType
{
    Backup,
}

[JsonConverter(typeof(AliasedEnumConverter<OpsRequestApply>))]
public enum OpsRequestApply
{
    /// <summary>Start only when the database is ready (the default).</summary>
    IfReady,
    Always,
}

/// <summary>A database in the ops request's own namespace.</summary>
public sealed record DatabaseRef
{
    /// <summary>The MongoDB's name.</summary>
    [JsonPropertyName("name"), RequiredField, Pattern(KubernetesNames.OptionalSubdomainPattern)] public string Name { get; init; } = "";
}

/// <summary>An archiving change to one database.</summary>
public sealed record ArchiverOperation
{
    /// <summary>ConfigureArchiver (start or update archiving) or DisableArchiver (stop it).</summary>
    [JsonPropertyName("operation"), RequiredField] public ArchiverOperationType? Operation { get; init; }
    /// <summary>The MongoDBArchiver whose configuration is applied or removed.</summary>
    [JsonPropertyName("ref"), RequiredField] public ObjectRef? Ref { get; init; }
}

[JsonConverter(typeof(AliasedEnumConverter<ArchiverOperationType>))]
public enum ArchiverOperationType
{
    ConfigureArchiver,
    DisableArchiver,
}

/// <summary>How far the request has got, written by Archiver.</summary>
public sealed record MongoDBOpsRequestStatus
{
    /// <summary>Pending, Progressing, then Successful, Failed or Skipped.</summary>
    [JsonPropertyName("phase")] public OpsRequestPhase? Phase { get; init; }
    /// <summary>The <c>metadata.generation</c> this status describes.</summary>
    [JsonPropertyName("observedGeneration")] public long? ObservedGeneration { get; init; }
    /// <summary>One condition per step carried out.</summary>
    [JsonPropertyName("conditions")] public IReadOnlyList<Condition>? Conditions { get; init; }
}

[JsonConverter(typeof(AliasedEnumConverter<OpsRequestPhase>))]
public enum OpsRequestPhase
{
    /// <summary>Accepted, not started.</summary>
    Pending,
    /// <summary>Its steps are being carried out, one persisted step at a time.</summary>
    Progressing,
    /// <summary>Every step succeeded. Terminal.</summary>
    Successful,
    /// <summary>A step failed for good; the archiver creates no new request for this database until it is resolved. Terminal.</summary>
    Failed,
    /// <summary>Superseded before it started. Terminal.</summary>
    Skipped,
}
