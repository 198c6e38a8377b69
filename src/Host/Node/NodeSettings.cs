using Archiver.Actors.Databases;
using Archiver.Actors.Hosting;

namespace Archiver.Host.Node;

/// <summary>How an Archiver node runs: its data folder, its cluster address and its HTTP endpoint.</summary>
public sealed record NodeSettings
{
    /// <summary>The default HTTP port of the node's API, inspection endpoint and status page.</summary>
    public const int DefaultHttpPort = 7780;

    /// <summary>Journal (SQLite), secrets (<c>secrets/&lt;namespace&gt;/&lt;name&gt;/&lt;key&gt;</c>) and local-folder storage live here.</summary>
    public required string DataFolder { get; init; }

    /// <summary>Where the API listens. Anything but loopback requires <see cref="Token"/>.</summary>
    public string HttpHost { get; init; } = "127.0.0.1";

    /// <summary>0 picks a free port (tests, the demo).</summary>
    public int HttpPort { get; init; } = DefaultHttpPort;

    /// <summary>Every request but <c>/healthz</c> must carry <c>Authorization: Bearer &lt;token&gt;</c> when set.</summary>
    public string? Token { get; init; }

    /// <summary>
    /// When set, the mutating admission webhook for MongoDB resources is served on this port (all interfaces, TLS
    /// with <see cref="WebhookCertificateFolder"/>'s certificate); 0 picks a free one. Null: no webhook.
    /// </summary>
    public int? WebhookPort { get; init; }

    /// <summary>The webhook's serving certificate: <c>tls.crt</c> and <c>tls.key</c> (a mounted <c>kubernetes.io/tls</c> secret).</summary>
    public string? WebhookCertificateFolder { get; init; }

    public ArchiverNodeOptions Akka { get; init; } = new();

    /// <summary>
    /// Null: the embedded node, with its own resource store and in-process archiving. Set: the resources are the
    /// cluster's custom resources and archiving runs as sidecars in the databases' StatefulSets.
    /// </summary>
    public ClusterConnection? Kubernetes { get; init; }

    /// <summary>Shorter periods than a production node's, so a demo sees backups and windows within seconds.</summary>
    public bool Brisk { get; init; }

    /// <summary>How often each archived database's status is refreshed (a brisk node: every second).</summary>
    public TimeSpan StatusInterval { get; init; } = new DatabaseSettings().ObserveInterval;

    public string SecretsFolder => Path.Combine(DataFolder, "secrets");

    public string JournalFile => Path.Combine(DataFolder, "journal.db");
}
