using System.Net;
using System.Text.Json.Nodes;

namespace Archiver.Emulators.Kubernetes;

public sealed record KubernetesEmulatorOptions
{
    /// <summary>0: any free port.</summary>
    public int Port { get; init; }

    /// <summary>How many changes are kept for watches; a watch from before them gets 410 Gone.</summary>
    public int HistoryLimit { get; init; } = 10_000;

    /// <summary>How long a watch with <c>allowWatchBookmarks</c> stays quiet before a BOOKMARK.</summary>
    public TimeSpan BookmarkInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Namespaces that exist from the start (objects can only be created in existing namespaces).</summary>
    public IReadOnlyList<string> Namespaces { get; init; } = ["default"];

    /// <summary>
    /// CustomResourceDefinitions installed from the start, as a cluster with KubeDB and KubeStash has them. By
    /// default Archiver's seven kinds (open schemas, status subresource); <c>[]</c> for a bare cluster whose CRDs a
    /// test applies itself (a custom resource is served only once its CRD exists).
    /// </summary>
    public IReadOnlyList<JsonObject>? CustomResourceDefinitions { get; init; }

    /// <summary>
    /// Checks bearer tokens: <see cref="AdminToken"/> is <c>kubernetes-admin</c> (<c>system:masters</c>), tokens
    /// from <see cref="KubernetesEmulator.IssueServiceAccountToken"/> are service accounts, no token is
    /// <c>system:anonymous</c>, an unknown token is 401. Off: every request is the admin, whatever it carries.
    /// </summary>
    public bool Authentication { get; init; }

    /// <summary>Authorizes every request by the Roles, ClusterRoles and bindings stored (turns authentication on).</summary>
    public bool Rbac { get; init; }

    /// <summary>
    /// Serves HTTPS with a certificate from a throw-away CA, which <see cref="KubernetesEmulator.Kubeconfig"/> carries
    /// as <c>certificate-authority-data</c>. On whenever tokens are checked: kubectl (client-go) sends no bearer
    /// token over plain HTTP.
    /// </summary>
    public bool Tls { get; init; }

    /// <summary>The admin's token, the one <see cref="KubernetesEmulator.Kubeconfig"/> carries.</summary>
    public string AdminToken { get; init; } = "emulator";

    /// <summary>What <c>/version</c> says (kubectl warns when its own minor version is more than one away).</summary>
    public string ServerVersion { get; init; } = "v1.32.0";

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>
    /// Where a Service named by a webhook's <c>clientConfig.service</c> is reached (namespace, name → the address its
    /// ports listen on), as the API server routes to a Service's cluster IP; null (or a null answer) resolves
    /// <c>{name}.{namespace}.svc</c> on this machine. The cluster stand-in gives its Service proxies' addresses.
    /// </summary>
    public Func<string, string, IPAddress?>? ResolveService { get; init; }
}
