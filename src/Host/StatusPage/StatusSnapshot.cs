using Archiver.Actors.Ports;
using Archiver.Messages.Protocol;
using Archiver.Messages.Resources;
using MongoDBResource = Archiver.Messages.Resources.MongoDB;

namespace Archiver.Host.StatusPage;

/// <summary>
/// What the status page shows, read from the resource store only: the resources' status is what the entities
/// last reported, so drawing the page never sends a message into the cluster however often it refreshes.
/// </summary>
public sealed record StatusSnapshot(
    DateTimeOffset Now,
    IReadOnlyList<DatabaseRow> Databases,
    IReadOnlyList<ArchiverRow> Archivers,
    IReadOnlyList<OpsRequestRow> OpsRequests)
{
    public static async Task<StatusSnapshot> ReadAsync(IResourceStore store, TimeProvider clock, CancellationToken cancellation)
    {
        var databases = await store.ListAsync<MongoDBResource>(cancellation: cancellation);
        var archivers = await store.ListAsync<MongoDBArchiver>(cancellation: cancellation);
        var requests = await store.ListAsync<MongoDBOpsRequest>(cancellation: cancellation);
        var now = clock.GetUtcNow();
        return new StatusSnapshot(
            now,
            [.. databases.Select(DatabaseRow.Of)],
            [.. archivers.Select(ArchiverRow.Of)],
            [.. requests.Select(r => OpsRequestRow.Of(r, now)).OrderBy(r => r.Terminal).ThenByDescending(r => r.Created)]);
    }
}

/// <param name="Archiver">The archiver that backs it up (<c>namespace/name</c>), or null when none does.</param>
/// <param name="Health">The <c>Archiving</c> condition when it is not True: why archiving is unhealthy.</param>
public sealed record DatabaseRow(
    ResourceId Id,
    string? Archiver,
    string Phase,
    DateTimeOffset? LastFullBackup,
    string? Lag,
    string? OplogHeadroom,
    IReadOnlyList<RecoverableWindow> Windows,
    RestoreProgress? Restore,
    string? Health)
{
    public static DatabaseRow Of(MongoDBResource db)
    {
        var id = ResourceId.Of(db);
        var status = db.Status?.Archiver;
        var reference = db.Spec?.Archiver?.Ref ?? status?.ArchiverRef;
        var archiving = status?.Conditions?.FirstOrDefault(c => c.Type == DatabaseConditions.ArchivingType);
        return new DatabaseRow(
            id,
            reference is null ? null : $"{reference.NamespaceOr(id.Namespace)}/{reference.Name}",
            status?.Phase?.ToString() ?? (reference is null ? "Not archived" : "Configuring"),
            status?.LastFullBackup,
            ArchiverStatusText.Lag(status?.Lag, status?.Phase?.ToString()),
            status?.OplogHeadroom,
            [.. (status?.RecoverableWindows ?? []).Where(w => w.Start is not null && w.End is not null)],
            status?.Restore,
            archiving is { Status: not ConditionStatus.True } ? archiving.Message ?? archiving.Reason : null);
    }
}

/// <param name="Problem">The message of a True <c>Blocked</c>, <c>Conflict</c>, <c>UsageDenied</c> or <c>Unsupported</c> condition.</param>
public sealed record ArchiverRow(ResourceId Id, string Phase, int Databases, string? Problem)
{
    public static ArchiverRow Of(MongoDBArchiver archiver)
    {
        var problem = archiver.Status?.Conditions?
            .FirstOrDefault(c => c.Type is "Blocked" or "Conflict" or "UsageDenied" or "Unsupported" && c.Status == ConditionStatus.True);
        return new ArchiverRow(
            ResourceId.Of(archiver),
            archiver.Status?.Phase?.ToString() ?? "New",
            archiver.Status?.DatabaseRefs?.Count ?? 0,
            problem is null ? null : problem.Message ?? problem.Reason ?? problem.Type);
    }
}

public sealed record OpsRequestRow(ResourceId Id, string Database, string? Operation, string Phase, bool Terminal, DateTimeOffset? Created, TimeSpan? Age, string? Message)
{
    public static OpsRequestRow Of(MongoDBOpsRequest request, DateTimeOffset now)
    {
        var id = ResourceId.Of(request);
        DateTimeOffset? created = request.Metadata.CreationTimestamp is { } t ? new DateTimeOffset(DateTime.SpecifyKind(t, DateTimeKind.Utc)) : null;
        var phase = request.Status?.Phase;
        var latest = request.Status?.Conditions?.OrderBy(c => c.LastTransitionTime ?? DateTimeOffset.MinValue).LastOrDefault();
        return new OpsRequestRow(
            id,
            request.Spec?.DatabaseRef?.Name ?? "",
            request.Spec?.Archiver?.Operation?.ToString(),
            phase?.ToString() ?? "New",
            phase is OpsRequestPhase.Successful or OpsRequestPhase.Failed or OpsRequestPhase.Skipped,
            created,
            created is { } c ? now - c : null,
            latest?.Message);
    }
}
