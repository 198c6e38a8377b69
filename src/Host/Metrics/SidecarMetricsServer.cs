using System.Diagnostics.Metrics;
using System.Net;
using Archiver.Mongo.Archiving;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Archiver.Host.Metrics;

/// <summary>
/// The sidecar's <c>/metrics</c> (<c>archiver sidecar --metrics-port</c>): its oplog archiver's chunk uploads, lag,
/// headroom and newest archived entry (<see cref="OplogArchiverMetrics"/>), on a Kestrel of its own that serves nothing
/// else. No token: it names one database, which whoever reaches the pod knows already, and nothing of its data.
/// </summary>
public sealed class SidecarMetricsServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private SidecarMetricsServer(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
        Archivers = app.Services.GetRequiredService<OplogArchiverMetrics>();
    }

    /// <summary>Where it listens, e.g. <c>http://10.0.0.7:9108/</c>.</summary>
    public Uri Address { get; }

    public OplogArchiverMetrics Archivers { get; }

    public static async Task<SidecarMetricsServer> StartAsync(IPAddress host, int port, CancellationToken cancellation)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = "archiver-sidecar" });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(host, port));
        builder.Services.AddArchiverMetrics("archiver-sidecar");
        builder.Services.AddSingleton(sp => new OplogArchiverMetrics(sp.GetRequiredService<Meter>()));
        var app = builder.Build();
        app.MapArchiverMetrics();
        await app.StartAsync(cancellation);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new SidecarMetricsServer(app, new Uri(address.EndsWith('/') ? address : address + "/"));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }
}
