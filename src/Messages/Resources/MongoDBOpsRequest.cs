using System.Text.Json.Serialization;

namespace Archiver.Messages.Resources;

/// <summary>One change to one database, carried out step by step; for Archiver, configuring or disabling archiving.</summary>
public sealed record MongoDBOpsRequest : Resource<MongoDBOpsRequestSpec, MongoDBOpsRequestStatus>
{
    public const string KindName = "MongoDBOpsRequest";
    public const string ApiVersionName = ApiGroups.OpsV1Alpha1;
}

public sealed record MongoDBOpsRequestSpec
{
    [JsonPropertyName("type"), RequiredField] public OpsRequestType? Type { get; init; }
    /// <summary>The database, in the ops request's own namespace.</summary>
    [JsonPropertyName("databaseRef"), RequiredField] public DatabaseRef? DatabaseRef { get; init; }
    [JsonPropertyName("archiver")] public ArchiverOperation? Archiver { get; init; }
    /// <summary>Go duration after which the request is failed.</summary>
    [JsonPropertyName("timeout")] public string? Timeout { get; init; }
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

public sealed record DatabaseRef
{
    [JsonPropertyName("name"), RequiredField] public string Name { get; init; } = "";
}

public sealed record ArchiverOperation
{
    [JsonPropertyName("operation"), RequiredField] public ArchiverOperationType? Operation { get; init; }
    [JsonPropertyName("ref"), RequiredField] public ObjectRef? Ref { get; init; }
}

[JsonConverter(typeof(AliasedEnumConverter<ArchiverOperationType>))]
public enum ArchiverOperationType
{
    ConfigureArchiver,
    DisableArchiver,
}

public sealed record MongoDBOpsRequestStatus
{
    [JsonPropertyName("phase")] public OpsRequestPhase? Phase { get; init; }
    [JsonPropertyName("observedGeneration")] public long? ObservedGeneration { get; init; }
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
