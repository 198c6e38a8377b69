using Archiver.Actors.Ports;
using Archiver.Messages.Resources;

namespace Archiver.Host.Inspection;

/// <summary>
/// <c>/inspect/opsrequests</c>: every ops request with its phase and age, from the resources' status (what the
/// entities last wrote), so finding the stuck ones costs no message to any entity.
/// </summary>
public static class OpsRequestOverview
{
    public static async Task<OpsRequestsResponse> ReadAsync(IResourceStore store, string? @namespace, TimeProvider clock, CancellationToken cancellation)
    {
        var now = clock.GetUtcNow();
        var requests = await store.ListAsync<MongoDBOpsRequest>(@namespace, cancellation);
        return new OpsRequestsResponse([.. requests.Select(r =>
        {
            DateTimeOffset? created = r.Metadata.CreationTimestamp is { } t ? new DateTimeOffset(DateTime.SpecifyKind(t, DateTimeKind.Utc)) : null;
            var phase = r.Status?.Phase;
            var latest = r.Status?.Conditions?.OrderBy(c => c.LastTransitionTime ?? DateTimeOffset.MinValue).LastOrDefault();
            return new OpsRequestInfo(
                r.Metadata.NamespaceProperty ?? "default",
                r.Metadata.Name,
                r.Spec?.DatabaseRef?.Name ?? "",
                r.Spec?.Archiver?.Operation?.ToString(),
                r.Spec?.Archiver?.Ref is { } a ? $"{a.NamespaceOr(r.Metadata.NamespaceProperty ?? "default")}/{a.Name}" : null,
                phase?.ToString() ?? "New",
                IsTerminal(phase),
                created,
                created is { } c ? Math.Max(0, (long)(now - c).TotalSeconds) : 0,
                latest?.Message);
        })]);
    }

    public static bool IsTerminal(OpsRequestPhase? phase) => phase is OpsRequestPhase.Successful or OpsRequestPhase.Failed or OpsRequestPhase.Skipped;
}
