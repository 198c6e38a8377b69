using k8s;
using Archiver.Emulators.Kubernetes;

namespace Archiver.Kubernetes.Tests;

/// <summary>
/// Bearer tokens and RBAC, through kubectl: the admin applies deploy/statefulset/rbac.yaml, a service account's token
/// (as the kubelet would mount it) is refused what no binding grants, with the API server's message, and every
/// allowed request is recorded for least-privilege checks.
/// </summary>
public sealed class KubectlRbacTests : IAsyncLifetime
{
    private KubernetesEmulator _api = null!;
    private Kubectl _admin = null!;
    private Kubectl _sidecar = null!;
    private string _sidecarToken = "";

    public async Task InitializeAsync()
    {
        _api = await KubernetesEmulator.StartAsync(new KubernetesEmulatorOptions { Namespaces = ["default", "demo"], Rbac = true });
        _admin = new Kubectl(_api);
        _sidecarToken = _api.IssueServiceAccountToken("demo", "sa");
        _sidecar = new Kubectl(_api, _sidecarToken);
        (await _admin.RunAsync("apply", "-f", "deploy/statefulset/rbac.yaml")).Succeeded();
    }

    [Fact]
    public async Task A_service_account_is_refused_what_no_binding_grants_with_the_API_servers_message()
    {
        var secret = await _sidecar.RunAsync("get", "secrets", "x", "-n", "demo");
        var pods = await _sidecar.RunAsync("get", "pods", "-n", "demo");
        var namespaces = await _sidecar.RunAsync("get", "ns");

        Assert.Equal(1, secret.ExitCode);
        Assert.Equal("Error from server (Forbidden): secrets \"x\" is forbidden: User \"system:serviceaccount:demo:sa\" cannot get resource \"secrets\" in API group \"\" in the namespace \"demo\"", secret.Error.Trim());
        Assert.Equal("Error from server (Forbidden): pods is forbidden: User \"system:serviceaccount:demo:sa\" cannot list resource \"pods\" in API group \"\" in the namespace \"demo\"", pods.Error.Trim());
        Assert.Equal("Error from server (Forbidden): namespaces is forbidden: User \"system:serviceaccount:demo:sa\" cannot list resource \"namespaces\" in API group \"\" at the cluster scope", namespaces.Error.Trim());
    }

    [Fact]
    public async Task A_binding_grants_its_roles_verbs_in_its_namespace_only_and_not_the_subresources()
    {
        (await _admin.RunWithInputAsync(SidecarBinding, "apply", "-f", "-")).Succeeded();
        (await _admin.RunWithInputAsync(Pod, "apply", "-f", "-")).Succeeded();
        _api.ClearAuthorized();

        var get = await _sidecar.RunAsync("get", "pod", "mg-0", "-n", "demo", "-o", "name");
        // As the sidecar publishes (PodReportPublisher): a merge patch with no read before it, which kubectl patch would make.
        using var asSidecar = new k8s.Kubernetes(k8s.KubernetesClientConfiguration.BuildConfigFromConfigFile(
            new MemoryStream(System.Text.Encoding.UTF8.GetBytes(_api.Kubeconfig(_sidecarToken)))));
        var annotation = new k8s.Models.V1Patch("""{"metadata":{"annotations":{"archiver.kubedb.com/report":"ok"}}}""", k8s.Models.V1Patch.PatchType.MergePatch);
        var patched = await asSidecar.CoreV1.PatchNamespacedPodAsync(annotation, "mg-0", "demo");
        var elsewhere = await Assert.ThrowsAsync<k8s.Autorest.HttpOperationException>(() => asSidecar.CoreV1.PatchNamespacedPodAsync(annotation, "mg-0", "default"));
        var status = await Assert.ThrowsAsync<k8s.Autorest.HttpOperationException>(() => asSidecar.CoreV1.PatchNamespacedPodStatusAsync(
            new k8s.Models.V1Patch("""{"status":{"phase":"Running"}}""", k8s.Models.V1Patch.PatchType.MergePatch), "mg-0", "demo"));
        var list = await _sidecar.RunAsync("get", "pods", "-n", "demo");

        // The sidecar's role is patch alone: it publishes its report and reads nothing.
        Assert.Contains("cannot get resource \"pods\" in API group \"\" in the namespace \"demo\"", get.Error, StringComparison.Ordinal);
        Assert.Equal("ok", patched.Metadata.Annotations["archiver.kubedb.com/report"]);
        Assert.Contains("cannot patch resource \"pods/status\" in API group \"\" in the namespace \"demo\"", Message(status), StringComparison.Ordinal);
        Assert.Contains("cannot list resource \"pods\"", list.Error, StringComparison.Ordinal);
        Assert.Contains("cannot patch resource \"pods\" in API group \"\" in the namespace \"default\"", Message(elsewhere), StringComparison.Ordinal);
        var sidecar = _api.Authorized.Where(a => a.User == "system:serviceaccount:demo:sa").ToList();
        Assert.Equal([new AccessRecord("system:serviceaccount:demo:sa", "patch", "", "pods", "", "demo", "mg-0")], sidecar);
        Assert.DoesNotContain(sidecar, a => a.Subresource == "status" || a.Verb == "list");
    }

    [Fact]
    public async Task A_node_bound_to_the_archiver_cluster_role_reads_secrets_but_does_not_list_them()
    {
        var node = new Kubectl(_api, _api.IssueServiceAccountToken("archiver", "archiver"));
        using var _ = node;
        (await _admin.RunWithInputAsync(Secret, "apply", "-f", "-")).Succeeded();

        var read = await node.RunAsync("get", "secret", "s3", "-n", "demo", "-o", "jsonpath={.data.key}");
        var list = await node.RunAsync("get", "secrets", "-n", "demo");
        var databases = await node.RunAsync("get", "statefulset", "mg", "-n", "demo");

        Assert.Equal("dmFsdWU=", read.Succeeded().Output);
        Assert.Contains("cannot list resource \"secrets\"", list.Error, StringComparison.Ordinal);
        // Allowed (a get by name): the answer is that there is none, not that it is forbidden.
        Assert.Contains("(NotFound): statefulsets.apps \"mg\" not found", databases.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_node_may_bind_the_sidecar_role_it_holds_bind_on_but_no_role_whose_permissions_it_lacks()
    {
        var node = new Kubectl(_api, _api.IssueServiceAccountToken("archiver", "archiver"));
        using var _ = node;
        (await _admin.RunWithInputAsync("""
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata: {name: secrets-reader}
            rules: [{apiGroups: [""], resources: [secrets], verbs: [get, list]}]
            """, "apply", "-f", "-")).Succeeded();

        var sidecar = await node.RunWithInputAsync(SidecarBinding, "apply", "-f", "-");
        var escalation = await node.RunWithInputAsync(SidecarBinding.Replace("name: archiver-sidecar, namespace", "name: reader, namespace", StringComparison.Ordinal)
            .Replace("name: archiver-sidecar}", "name: secrets-reader}", StringComparison.Ordinal), "apply", "-f", "-");

        Assert.Contains("rolebinding.rbac.authorization.k8s.io/archiver-sidecar created", sidecar.Succeeded().Output, StringComparison.Ordinal);
        Assert.Equal(1, escalation.ExitCode);
        // The node gets secrets but may not list them: the role's rule is not held as a whole.
        Assert.Contains("rolebindings.rbac.authorization.k8s.io \"reader\" is forbidden: user \"system:serviceaccount:archiver:archiver\"", escalation.Error, StringComparison.Ordinal);
        Assert.Contains("is attempting to grant RBAC permissions not currently held:\n{APIGroups:[\"\"], Resources:[\"secrets\"], Verbs:[\"get\" \"list\"]}", escalation.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_watch_of_one_name_by_field_selector_is_a_request_for_that_name_as_resourceNames_rules_see_it()
    {
        // As the API server reads it (requestinfo.go): a list or watch whose field selector requires metadata.name is a
        // request for that name, so a Role naming it allows it, and the same watch of every object is refused.
        (await _admin.RunWithInputAsync("""
            apiVersion: rbac.authorization.k8s.io/v1
            kind: Role
            metadata: {name: one-map, namespace: demo}
            rules: [{apiGroups: [""], resources: [configmaps], resourceNames: [mg], verbs: [get, list, watch]}]
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: RoleBinding
            metadata: {name: one-map, namespace: demo}
            roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: one-map}
            subjects: [{kind: ServiceAccount, name: sa, namespace: demo}]
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: mg, namespace: demo}
            data: {a: b}
            """, "apply", "-f", "-")).Succeeded();
        _api.ClearAuthorized();
        using var asSidecar = new k8s.Kubernetes(k8s.KubernetesClientConfiguration.BuildConfigFromConfigFile(
            new MemoryStream(System.Text.Encoding.UTF8.GetBytes(_api.Kubeconfig(_sidecarToken)))));

        var named = await asSidecar.CoreV1.ListNamespacedConfigMapAsync("demo", fieldSelector: "metadata.name=mg");
        var watched = new List<string>();
#pragma warning disable CS0618 // The watch KubernetesClient 21 offers for a list call.
        await foreach (var (type, item) in asSidecar.CoreV1.ListNamespacedConfigMapWithHttpMessagesAsync("demo", fieldSelector: "metadata.name=mg", watch: true, timeoutSeconds: 1)
                           .WatchAsync<k8s.Models.V1ConfigMap, k8s.Models.V1ConfigMapList>())
#pragma warning restore CS0618
        {
            watched.Add($"{type} {item.Metadata.Name}");
        }

        var all = await Assert.ThrowsAsync<k8s.Autorest.HttpOperationException>(() => asSidecar.CoreV1.ListNamespacedConfigMapAsync("demo"));
        var other = await Assert.ThrowsAsync<k8s.Autorest.HttpOperationException>(() => asSidecar.CoreV1.ListNamespacedConfigMapAsync("demo", fieldSelector: "metadata.name=other"));

        Assert.Equal(["mg"], named.Items.Select(m => m.Metadata.Name));
        Assert.Equal(["Added mg"], watched);
        Assert.Contains("cannot list resource \"configmaps\" in API group \"\" in the namespace \"demo\"", Message(all), StringComparison.Ordinal);
        Assert.Contains("cannot list resource \"configmaps\"", Message(other), StringComparison.Ordinal);
        Assert.Contains(_api.Authorized, a => a is { User: "system:serviceaccount:demo:sa", Verb: "watch", Resource: "configmaps", Name: "mg" });
    }

    [Fact]
    public async Task An_unknown_token_is_unauthorized()
    {
        var stranger = new Kubectl(_api, "not-a-token");
        using var _ = stranger;

        var result = await stranger.RunAsync("get", "ns");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("error: You must be logged in to the server", result.Error, StringComparison.Ordinal);
    }

    private static string Message(k8s.Autorest.HttpOperationException e) =>
        System.Text.Json.JsonDocument.Parse(e.Response.Content).RootElement.GetProperty("message").GetString() ?? "";

    private const string SidecarBinding = """
        apiVersion: rbac.authorization.k8s.io/v1
        kind: RoleBinding
        metadata: {name: archiver-sidecar, namespace: demo}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: archiver-sidecar}
        subjects: [{kind: ServiceAccount, name: sa, namespace: demo}]
        """;

    private const string Pod = """
        apiVersion: v1
        kind: Pod
        metadata: {name: mg-0, namespace: demo}
        spec: {serviceAccountName: sa, containers: [{name: mongodb, image: "mongo:7.0"}]}
        """;

    private const string Secret = """
        apiVersion: v1
        kind: Secret
        metadata: {name: s3, namespace: demo}
        data: {key: dmFsdWU=}
        """;

    public async Task DisposeAsync()
    {
        _admin.Dispose();
        _sidecar.Dispose();
        await _api.DisposeAsync();
    }
}
