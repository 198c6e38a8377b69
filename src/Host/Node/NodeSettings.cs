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

    /// <summary>Every request but <c>/healthz</c> and <c>/readyz</c> must carry <c>Authorization: Bearer &lt;token&gt;</c> when set.</summary>
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

    /// <summary>How often each archived database's oplog is compacted (its archiver's <c>compactAfter</c> says which chunks).</summary>
    public TimeSpan CompactionInterval { get; init; } = new DatabaseSettings().CompactionInterval;

    /// <summary>How long a merged object stays beside the chunks it holds before they are removed (restores planned just before).</summary>
    public TimeSpan CompactionRemoveAfter { get; init; } = new DatabaseSettings().CompactionRemoveAfter;

    public string SecretsFolder => Path.Combine(DataFolder, "secrets");

    public string JournalFile => Path.Combine(DataFolder, "journal.db");

    /// <summary>Why a node cannot start with these settings, or null: said before anything binds or joins.</summary>
    public string? Problem()
    {
        if (!IsLoopback(HttpHost) && string.IsNullOrEmpty(Token))
        {
            return $"the node's endpoint binds {HttpHost}, beyond this machine: give it a token (--token or ARCHIVER_TOKEN)";
        }

        // Nodes of one cluster move entities between them, so they must share the resources the entities act on and
        // the journal they recover from. Embedded nodes keep both to themselves.
        if (Akka.SeedNodes.Count > 0 && (Kubernetes is null || Akka.Journal.Provider != JournalProvider.PostgreSql))
        {
            var missing = string.Join(" and ", new[]
            {
                Kubernetes is null ? "a shared resource store (--kubeconfig or --in-cluster; this node would keep its own resources)" : null,
                Akka.Journal.Provider != JournalProvider.PostgreSql ? "a shared journal (--postgres; this node would keep its own SQLite journal)" : null,
            }.OfType<string>());
            return $"--seed joins a cluster, whose nodes must share what they act on and remember: it needs {missing}. An entity moved to another node would find no resources and no history there.";
        }

        return Akka.Problems() is [var first, ..] ? first : null;
    }

    private static bool IsLoopback(string host) =>
        host is "localhost" || (System.Net.IPAddress.TryParse(host, out var address) && System.Net.IPAddress.IsLoopback(address));
}
