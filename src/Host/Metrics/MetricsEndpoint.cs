using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace Archiver.Host.Metrics;

/// <summary>
/// <c>/metrics</c> in Prometheus' text format, on the node's and the sidecar's Kestrel. The instruments are
/// System.Diagnostics.Metrics ones (src/Actors/Metrics, src/Mongo/Archiving/OplogArchiverMetrics); OpenTelemetry's
/// .NET SDK collects them and its Prometheus exporter writes the exposition (rather than prometheus-net: the
/// libraries keep the platform's own instruments and need no package, and only this host knows the exporter).
/// What each metric means: docs/metrics.md.
/// </summary>
public static class MetricsEndpoint
{
    /// <summary>The meter every Archiver instrument is on (Prometheus shows it as <c>otel_scope_name</c>).</summary>
    public const string MeterName = "Archiver";

    public const string Path = "/metrics";

    /// <summary>
    /// The exporter, and this host's <see cref="Meter"/>. The meter comes from the host's <see cref="IMeterFactory"/>
    /// and only that factory's meters are exported (<see cref="MeterScope.Local"/>): nodes sharing a process (tests)
    /// each export their own instruments, never each other's.
    /// </summary>
    public static void AddArchiverMetrics(this IServiceCollection services, string serviceName)
    {
        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(serviceName))
            // Every scrape reads the values now: a cached answer could disagree with the status read at the same moment.
            .WithMetrics(metrics => metrics.AddPrometheusExporter(options => options.ScrapeResponseCacheDurationMilliseconds = 0));
        services.AddMetrics(metrics => metrics.EnableMetrics(MeterName, instrumentName: null, listenerName: "OpenTelemetry", scopes: MeterScope.Local));
        services.AddSingleton(sp => sp.GetRequiredService<IMeterFactory>().Create(MeterName));
    }

    /// <summary>Serves <see cref="Path"/>.</summary>
    public static void MapArchiverMetrics(this WebApplication app) => app.MapPrometheusScrapingEndpoint(Path);
}
