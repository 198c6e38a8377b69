using Archiver.Actors.Ports;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Archiver.Host.StatusPage;

/// <summary>The status page at <c>/</c> and <c>/status</c>: databases, archivers and ops requests at a glance, refreshed by the browser.</summary>
public static class StatusPageEndpoints
{
    public const int DefaultRefreshSeconds = 5;

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/", RenderAsync);
        app.MapGet("/status", RenderAsync);
    }

    private static async Task<IResult> RenderAsync(HttpRequest request, IResourceStore store, TimeProvider clock, int? refresh, CancellationToken cancellation)
    {
        var snapshot = await StatusSnapshot.ReadAsync(store, clock, cancellation);
        var html = StatusPageRenderer.Render(snapshot, $"{request.Scheme}://{request.Host}", Math.Clamp(refresh ?? DefaultRefreshSeconds, 1, 3600));
        return Results.Content(html, "text/html; charset=utf-8");
    }
}
