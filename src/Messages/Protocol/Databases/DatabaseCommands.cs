namespace Archiver.Messages.Protocol.Databases;

public interface IDatabaseCommand : IWithDatabaseId;

/// <summary>The database resource (or its archiver) changed: read its backup configuration again.</summary>
public sealed record ReconcileDatabase(ResourceId DatabaseId, string Reason) : IDatabaseCommand;

/// <summary>The cron fired for <paramref name="ScheduledFor"/> (sent by the entity's own timer; tests send it too).</summary>
public sealed record RunScheduledBackup(ResourceId DatabaseId, DateTimeOffset ScheduledFor) : IDatabaseCommand;

/// <summary>A full backup now, outside the schedule (<c>archiver backup DB</c>). Answered with the run id.</summary>
public sealed record TriggerBackup(ResourceId DatabaseId) : IDatabaseCommand;

public sealed record GetDatabaseState(ResourceId DatabaseId) : IDatabaseCommand;
