using Archiver.Host.Admission;
using Archiver.Host.Cli;
using Archiver.Kubernetes;
using Archiver.Messages.Manifests;
using k8s;
using k8s.Models;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Archiver.Host.Tests;

/// <summary>
/// deploy/statefulset cannot be applied to an API server here, so what can go wrong without one is checked: the
/// files load as Kubernetes objects, the CRDs and the ClusterRole cover every kind the Kubernetes store uses, the
/// node's arguments are ones <c>archiver run</c> accepts, and the seeds name pods the StatefulSet makes.
/// </summary>
public sealed class DeployManifestTests
{
    private static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "statefulset");

    [Fact]
    public void The_CRDs_serve_every_kind_the_store_uses_with_its_status_subresource()
    {
        var crds = Load("crds.yaml").OfType<V1CustomResourceDefinition>().ToList();
        Assert.Equal(ResourceKinds.All.Count, crds.Count);
        foreach (var kind in ResourceKinds.All)
        {
            var crd = Assert.Single(crds, c => c.Spec.Group == kind.Group && c.Spec.Names.Plural == kind.Plural);
            Assert.Equal($"{kind.Plural}.{kind.Group}", crd.Metadata.Name);
            Assert.Equal(kind.Kind, crd.Spec.Names.Kind);
            Assert.Equal("Namespaced", crd.Spec.Scope);
            var version = Assert.Single(crd.Spec.Versions);
            Assert.Equal(kind.Version, version.Name);
            Assert.True(version.Served && version.Storage);
            Assert.NotNull(version.Subresources?.Status);
        }
    }

    [Fact]
    public void The_node_role_grants_what_the_store_and_the_workloads_adapter_do()
    {
        var objects = Load("rbac.yaml");
        var role = Assert.Single(objects.OfType<V1ClusterRole>(), r => r.Metadata.Name == "archiver");
        foreach (var kind in ResourceKinds.All)
        {
            Assert.True(Grants(role, kind.Group, kind.Plural, "get", "list", "watch", "create", "update", "delete"), $"{kind.Plural}.{kind.Group}");
            Assert.False(Grants(role, kind.Group, kind.Plural, "patch"), $"{kind.Plural}.{kind.Group}: every write is a conditioned replace");
        }

        // The statuses the node writes (ArchiverEffects, OpsRequestActor, DatabaseActor, OpsRequestSteps; a FullBackup
        // Snapshot's phase and verification).
        foreach (var plural in new[] { "mongodbarchivers", "mongodbopsrequests", "mongodbs", "snapshots" })
        {
            Assert.Contains(role.Rules, r => r.Resources.Contains(plural + "/status") && r.Verbs.Contains("update"));
        }

        Assert.True(Grants(role, "", "namespaces", "list"));
        Assert.True(Grants(role, "apps", "statefulsets", "get", "update"));
        Assert.True(Grants(role, "", "pods", "list"));
        Assert.True(Grants(role, "", "secrets", "get", "create", "update", "delete")); // KubernetesSecrets; the sidecars' copies of storage secrets
        // Never list: it would let the node read every secret of the cluster (the copies are found through the pod template).
        Assert.False(Grants(role, "", "secrets", "list"));
        var sidecar = Assert.Single(objects.OfType<V1ClusterRole>(), r => r.Metadata.Name == "archiver-sidecar");
        Assert.True(Grants(sidecar, "", "pods", "patch"));
        Assert.False(Grants(sidecar, "", "pods", "get"));
        // The sidecar reads its storage's secrets from mounted copies: no Secret access at all.
        Assert.DoesNotContain(sidecar.Rules, r => r.Resources.Contains("secrets"));

        // CSISnapshotter backups: the node makes and reads the Jobs, releases a lock one left, and may bind the Jobs' role.
        Assert.True(Grants(role, "batch", "jobs", "get", "create"));
        Assert.True(Grants(role, "coordination.k8s.io", "leases", "get", "delete"));
        // The class is cluster-scoped, which the Job's RoleBinding cannot reach: the node checks it.
        Assert.True(Grants(role, "snapshot.storage.k8s.io", "volumesnapshotclasses", "get"));
        // Retention's, and a killed Job's snapshot.
        Assert.True(Grants(role, "snapshot.storage.k8s.io", "volumesnapshots", "delete"));
        Assert.Contains(role.Rules, r => r.Resources.Contains("clusterroles") && r.Verbs.Contains("bind") && r.ResourceNames.Contains(new KubernetesWorkloadsOptions().VolumeSnapshotterClusterRole));
        var snapshotter = Assert.Single(objects.OfType<V1ClusterRole>(), r => r.Metadata.Name == new KubernetesWorkloadsOptions().VolumeSnapshotterClusterRole);
        Assert.True(Grants(snapshotter, "snapshot.storage.k8s.io", "volumesnapshots", "get", "create", "delete"));
        Assert.True(Grants(snapshotter, "", "persistentvolumeclaims", "get"));
        Assert.True(Grants(snapshotter, "coordination.k8s.io", "leases", "get", "create", "update", "delete"));
        Assert.DoesNotContain(snapshotter.Rules, r => r.Resources.Contains("secrets"));

        var binding = Assert.Single(objects.OfType<V1ClusterRoleBinding>());
        Assert.Equal("archiver", binding.RoleRef.Name);
        var account = Assert.Single(objects.OfType<V1ServiceAccount>());
        Assert.Contains(binding.Subjects, s => s.Kind == "ServiceAccount" && s.Name == account.Metadata.Name && s.NamespaceProperty == account.Metadata.NamespaceProperty);
    }

    [Fact]
    public void The_statefulset_runs_archiver_with_arguments_it_accepts_and_seeds_it_creates()
    {
        var objects = Load("statefulset.yaml");
        var set = Assert.Single(objects.OfType<V1StatefulSet>());
        var service = Assert.Single(objects.OfType<V1Service>(), s => s.Metadata.Name == set.Spec.ServiceName);
        Assert.Equal("None", service.Spec.ClusterIP);
        Assert.True(service.Spec.PublishNotReadyAddresses);
        Assert.Equal(Load("rbac.yaml").OfType<V1ServiceAccount>().Single().Metadata.Name, set.Spec.Template.Spec.ServiceAccountName);
        var container = Assert.Single(set.Spec.Template.Spec.Containers);

        // As the kubelet expands $(VAR) from the container's environment, for the first pod.
        var environment = container.Env.ToDictionary(e => e.Name, e => e.Name switch
        {
            "POD_NAME" => $"{set.Metadata.Name}-0",
            "POD_NAMESPACE" => set.Metadata.NamespaceProperty,
            _ => "from-a-secret",
        });
        var args = container.Args.Select(a => environment.Aggregate(a, (text, variable) => text.Replace($"$({variable.Key})", variable.Value, StringComparison.Ordinal))).ToArray();
        Assert.DoesNotContain(args, a => a.Contains("$(", StringComparison.Ordinal));
        var parse = ArchiverCli.Build(TextWriter.Null, TextWriter.Null).Parse(args);
        Assert.Empty(parse.Errors);
        Assert.Equal("run", parse.CommandResult.Command.Name);

        var value = (string name) => args.Where(a => a.StartsWith($"--{name}=", StringComparison.Ordinal)).Select(a => a[(name.Length + 3)..]).ToList();
        var port = int.Parse(Assert.Single(value("port")), System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains(container.Ports, p => p.ContainerPort == port);
        var pods = Enumerable.Range(0, set.Spec.Replicas!.Value).Select(i => $"{set.Metadata.Name}-{i}.{service.Metadata.Name}.{service.Metadata.NamespaceProperty}.svc.cluster.local").ToList();
        Assert.Equal(pods[0], Assert.Single(value("advertise-host")));
        var seeds = value("seed");
        Assert.NotEmpty(seeds);
        Assert.All(seeds, seed => Assert.Contains(seed, pods.Select(p => $"akka.tcp://archiver@{p}:{port}")));
        Assert.Equal("/readyz", container.ReadinessProbe.HttpGet.Path);
        Assert.Equal("/healthz", container.LivenessProbe.HttpGet.Path);
        // A liveness probe a GC pause cannot fail: a minute of unanswered probes before a restart.
        Assert.True(container.LivenessProbe.PeriodSeconds * container.LivenessProbe.FailureThreshold >= 60);
        Assert.Contains(container.Env, e => e.Name == "ARCHIVER_TOKEN" && e.ValueFrom?.SecretKeyRef is not null);

        // One pod at a time may be taken by a voluntary disruption: two of three keep the cluster's majority.
        var budget = Assert.Single(objects.OfType<V1PodDisruptionBudget>());
        Assert.Equal(1, budget.Spec.MaxUnavailable.Value is string text ? int.Parse(text, System.Globalization.CultureInfo.InvariantCulture) : Convert.ToInt32(budget.Spec.MaxUnavailable.Value, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(set.Spec.Selector.MatchLabels, budget.Spec.Selector.MatchLabels);
        Assert.Equal(set.Metadata.NamespaceProperty, budget.Metadata.NamespaceProperty);
    }

    [Fact]
    public void The_validating_webhook_checks_archivers_on_create_and_update_through_the_same_service_and_certificate()
    {
        var webhookObjects = Load("webhook.yaml");
        var service = Assert.Single(webhookObjects.OfType<V1Service>());
        var mutating = Assert.Single(webhookObjects.OfType<V1MutatingWebhookConfiguration>());
        var configuration = Assert.Single(webhookObjects.OfType<V1ValidatingWebhookConfiguration>());
        var webhook = Assert.Single(configuration.Webhooks);

        Assert.Equal((service.Metadata.Name, service.Spec.Ports.Single().Port, ArchiverValidatingWebhook.Path),
            (webhook.ClientConfig.Service.Name, webhook.ClientConfig.Service.Port, webhook.ClientConfig.Service.Path));
        Assert.Equal(mutating.Metadata.Annotations["cert-manager.io/inject-ca-from"], configuration.Metadata.Annotations["cert-manager.io/inject-ca-from"]);
        Assert.Equal(("Ignore", "None", 5), (webhook.FailurePolicy, webhook.SideEffects, webhook.TimeoutSeconds));
        var rule = Assert.Single(webhook.Rules);
        Assert.Equal(["archiver.kubedb.com"], rule.ApiGroups);
        Assert.Equal(["mongodbarchivers"], rule.Resources);
        Assert.Equal(["CREATE", "UPDATE"], rule.Operations);
    }

    [Fact]
    public void The_webhook_reaches_the_nodes_port_and_path_over_the_certificate_cert_manager_issues()
    {
        var set = Load("statefulset.yaml").OfType<V1StatefulSet>().Single();
        var container = set.Spec.Template.Spec.Containers.Single();
        var webhookObjects = Load("webhook.yaml");
        var service = Assert.Single(webhookObjects.OfType<V1Service>());
        var configuration = Assert.Single(webhookObjects.OfType<V1MutatingWebhookConfiguration>());
        var webhook = Assert.Single(configuration.Webhooks, w => w.ClientConfig.Service.Path == MongoDBMutatingWebhook.Path);

        // The API server calls the Service, which reaches the node's webhook port on the path it serves.
        Assert.Equal(service.Metadata.Name, webhook.ClientConfig.Service.Name);
        Assert.Equal(set.Metadata.NamespaceProperty, webhook.ClientConfig.Service.NamespaceProperty);
        Assert.Equal(MongoDBMutatingWebhook.Path, webhook.ClientConfig.Service.Path);
        var servicePort = Assert.Single(service.Spec.Ports);
        Assert.Equal(servicePort.Port, webhook.ClientConfig.Service.Port);
        Assert.Equal(set.Spec.Template.Metadata.Labels, service.Spec.Selector);
        var containerPort = Assert.Single(container.Ports, p => p.Name == servicePort.TargetPort.Value);
        Assert.Contains($"--webhook-port={containerPort.ContainerPort}", container.Args);

        // Never refuses, creation only, kubedb.com's mongodbs.
        Assert.Equal("Ignore", webhook.FailurePolicy);
        Assert.Equal("None", webhook.SideEffects);
        Assert.Contains("v1", webhook.AdmissionReviewVersions);
        var rule = Assert.Single(webhook.Rules);
        Assert.Equal(["CREATE"], rule.Operations);
        Assert.Equal(["kubedb.com"], rule.ApiGroups);
        Assert.Equal(["mongodbs"], rule.Resources);

        // The pods webhook: the same Service and port, creation only, and only KubeDB's MongoDB pods sent to it (the
        // labels SidecarInjection reads a pod's database by).
        var pods = Assert.Single(configuration.Webhooks, w => w.ClientConfig.Service.Path == PodMutatingWebhook.Path);
        Assert.Equal(3, configuration.Webhooks.Count);
        Assert.Equal((service.Metadata.Name, servicePort.Port), (pods.ClientConfig.Service.Name, pods.ClientConfig.Service.Port));
        Assert.Equal(("Ignore", "None"), (pods.FailurePolicy, pods.SideEffects));
        var podRule = Assert.Single(pods.Rules);
        Assert.Equal(["CREATE"], podRule.Operations);
        Assert.Equal([""], podRule.ApiGroups);
        Assert.Equal(["pods"], podRule.Resources);
        Assert.Equal("Namespaced", podRule.Scope);
        Assert.Equal(
            new Dictionary<string, string> { [SidecarInjection.ManagedByLabel] = SidecarInjection.ManagedByKubeDb, [SidecarInjection.NameLabel] = SidecarInjection.MongoDbName },
            pods.ObjectSelector.MatchLabels);

        // The claims webhook: the same Service, creation only, only KubeDB's MongoDB claims.
        var claims = Assert.Single(configuration.Webhooks, w => w.ClientConfig.Service.Path == ClaimMutatingWebhook.Path);
        Assert.Equal((service.Metadata.Name, servicePort.Port), (claims.ClientConfig.Service.Name, claims.ClientConfig.Service.Port));
        Assert.Equal(("Ignore", "None"), (claims.FailurePolicy, claims.SideEffects));
        var claimRule = Assert.Single(claims.Rules);
        Assert.Equal(["CREATE"], claimRule.Operations);
        Assert.Equal([""], claimRule.ApiGroups);
        Assert.Equal(["persistentvolumeclaims"], claimRule.Resources);
        Assert.Equal(pods.ObjectSelector.MatchLabels, claims.ObjectSelector.MatchLabels);

        // The serving certificate: issued for the Service's name, mounted where --webhook-cert-dir reads it, its CA
        // injected into the configuration.
        var certManager = CertManager("webhook-certificate.yaml");
        string Of(Dictionary<object, object> document, string section, string field) => (string)((Dictionary<object, object>)document[section])[field];
        var certificate = Assert.Single(certManager, d => (string)d["kind"] == "Certificate"
            && $"{Of(d, "metadata", "namespace")}/{Of(d, "metadata", "name")}" == configuration.Metadata.Annotations["cert-manager.io/inject-ca-from"]);
        var certificateSpec = (Dictionary<object, object>)certificate["spec"];
        // Issued by a CA issuer whose CA is itself a certificate (isCA) of a self-signed issuer.
        var issuer = Assert.Single(certManager, d => (string)d["kind"] == "Issuer" && Of(d, "metadata", "name") == (string)((Dictionary<object, object>)certificateSpec["issuerRef"])["name"]);
        var caSecret = (string)((Dictionary<object, object>)((Dictionary<object, object>)issuer["spec"])["ca"])["secretName"];
        Assert.Single(certManager, d => (string)d["kind"] == "Certificate" && Of(d, "spec", "secretName") == caSecret && Of(d, "spec", "isCA") == "true");
        Assert.Contains($"{service.Metadata.Name}.{service.Metadata.NamespaceProperty}.svc", ((List<object>)certificateSpec["dnsNames"]).Cast<string>());
        var volume = Assert.Single(set.Spec.Template.Spec.Volumes, v => v.Secret?.SecretName == (string)certificateSpec["secretName"]);
        var mount = Assert.Single(container.VolumeMounts, m => m.Name == volume.Name);
        Assert.Contains($"--webhook-cert-dir={mount.MountPath}", container.Args);
    }

    // cert-manager's kinds are not KubernetesClient's: read as plain YAML.
    private static List<Dictionary<object, object>> CertManager(string file)
    {
        var parser = new Parser(new StringReader(File.ReadAllText(Path.Combine(Folder, file))));
        var deserializer = new YamlDotNet.Serialization.Deserializer();
        parser.Consume<StreamStart>();
        var documents = new List<Dictionary<object, object>>();
        while (parser.Accept<DocumentStart>(out _))
        {
            documents.Add(deserializer.Deserialize<Dictionary<object, object>>(parser));
        }

        return documents;
    }

    private static List<object> Load(string file) => KubernetesYaml.LoadAllFromString(File.ReadAllText(Path.Combine(Folder, file)));

    private static bool Grants(V1ClusterRole role, string group, string resource, params string[] verbs) =>
        verbs.All(verb => role.Rules.Any(r => r.ApiGroups.Contains(group) && r.Resources.Contains(resource) && r.Verbs.Contains(verb)));
}
