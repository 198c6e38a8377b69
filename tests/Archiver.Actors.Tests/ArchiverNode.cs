using Akka.Actor;
using Akka.Hosting;
using Archiver.Actors.Hosting;
using Archiver.Actors.OpsRequests;
using Archiver.Actors.Ports;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Archiver.Actors.Tests;

/// <summary>A whole Archiver node as the host composes it, with the ports a test supplies.</summary>
internal sealed class ArchiverNode : IAsyncDisposable
{
    private readonly IHost _host;

    private ArchiverNode(IHost host) => _host = host;

    public ActorSystem System => _host.Services.GetRequiredService<ActorSystem>();

    public IActorRef Region<T>() => _host.Services.GetRequiredService<ActorRegistry>().Get<T>();

    public static async Task<ArchiverNode> StartAsync(ArchiverNodeOptions options, IResourceStore store, IArchivingWorkloads workloads, IOpsRequestSteps? steps = null, OpsRequestSettings? settings = null, string? hocon = null, IObjectStoreProvider? objectStores = null)
    {
        var host = new HostBuilder()
            .ConfigureLogging(logging => logging.SetMinimumLevel(LogLevel.Warning))
            .ConfigureServices(services =>
            {
                services.AddSingleton(store);
                services.AddSingleton(workloads);
                if (steps is not null) services.AddSingleton(steps);
                if (settings is not null) services.AddSingleton(settings);
                if (objectStores is not null) services.AddSingleton(objectStores);
                services.AddAkka(ArchiverHostingExtensions.SystemName, builder =>
                {
                    builder
                        .AddArchiver(options)
                        // A crash, not a graceful leave: nothing is handed over when the system stops.
                        .AddHocon("akka.coordinated-shutdown.run-by-actor-system-terminate = off", HoconAddMode.Prepend);
                    // Whatever else a caller needs that the options do not cover, e.g. a quieter log for benchmarks.
                    if (hocon is not null) builder.AddHocon(hocon, HoconAddMode.Prepend);
                });
            })
            .Build();
        await host.StartAsync();
        return new ArchiverNode(host);
    }

    /// <summary>Kills the actor system abruptly, as a node dying would.</summary>
    public async Task CrashAsync()
    {
        await System.Terminate();
        await _host.StopAsync(TimeSpan.FromSeconds(5));
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync(TimeSpan.FromSeconds(10));
        _host.Dispose();
    }
}
