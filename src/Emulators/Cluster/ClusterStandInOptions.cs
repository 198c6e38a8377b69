using Archiver.Emulators.Cluster.KubeDb;

namespace Archiver.Emulators.Cluster;

/// <summary>How to start a <see cref="ClusterStandIn"/>. Defaults are a cluster's where that matters.</summary>
public sealed record ClusterStandInOptions
{
    /// <summary>Namespaces that exist from the start (each gets its <c>default</c> ServiceAccount and <c>kube-root-ca.crt</c>).</summary>
    public IReadOnlyList<string> Namespaces { get; init; } = ["default"];

    /// <summary>The API server's port on 127.0.0.1 (0: a free one).</summary>
    public int ApiPort { get; init; }

    /// <summary>Image repositories (any tag) that run the archiver: <c>dotnet</c> <see cref="ArchiverAssembly"/>.</summary>
    public IReadOnlyList<string> ArchiverImages { get; init; } = ["ghcr.io/kubedb/archiver"];

    /// <summary>Image repositories (any tag) that run as a KubeDB MongoDB's replica-set member.</summary>
    public IReadOnlyList<string> MongoImages { get; init; } = ["ghcr.io/appscode-images/mongo", "mongo", "percona/percona-server-mongodb"];

    /// <summary>The built product, <c>archiver.dll</c>; null: the one beside the running program or beside this assembly.</summary>
    public string? ArchiverAssembly { get; init; }

    /// <summary>The hosts file the cluster's names go into (the machine's, so every process resolves them).</summary>
    public string HostsFile { get; init; } = "/etc/hosts";

    /// <summary>Where pods' folders, claims' volumes and logs live; null: a fresh temporary folder, removed on dispose.</summary>
    public string? StateFolder { get; init; }

    /// <summary>How long a replica set's members wait after losing their primary before electing another (MongoDB's <c>electionTimeoutMillis</c>).</summary>
    public TimeSpan ElectionTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The first wait before a crashed container is started again; it doubles up to five minutes (the kubelet's is 10 s).</summary>
    public TimeSpan RestartBackoff { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>At dispose, how long each container gets between SIGTERM and SIGKILL (a pod's own grace period when it is deleted).</summary>
    public TimeSpan ShutdownGracePeriod { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Which workload the KubeDB stand-in runs a MongoDB in.</summary>
    public KubeDbWorkload KubeDbWorkload { get; init; } = KubeDbWorkload.Auto;

    /// <summary>
    /// The name of the stand-in's CSI driver, which provisions every claim and takes their snapshots: what a
    /// VolumeSnapshotClass names as its <c>driver</c> (default: csi-driver-host-path's, which keeps volumes as folders too).
    /// </summary>
    public string CsiDriver { get; init; } = "hostpath.csi.k8s.io";

    /// <summary>
    /// How long after its cut (<c>status.creationTime</c>) a volume snapshot becomes <c>readyToUse</c> and gets its
    /// <c>restoreSize</c>, as a snapshot being uploaded does; zero: at once. A backup may unlock its database at the cut.
    /// </summary>
    public TimeSpan SnapshotReadyDelay { get; init; } = TimeSpan.Zero;

    /// <summary>Where the stand-in's log lines also go (they are always kept in <see cref="ClusterStandIn.Log"/>).</summary>
    public TextWriter? LogWriter { get; init; }

    public TimeProvider Time { get; init; } = TimeProvider.System;
}
