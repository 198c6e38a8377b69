using Archiver.Emulators.Kubernetes;

namespace Archiver.Kubernetes.Tests;

/// <summary>
/// The emulator as a user drives it: the real kubectl, default validation, against a bare emulator (no CRDs until a
/// test applies them). Each test has its own emulator and kubectl folder.
/// </summary>
public sealed class KubectlTests : IAsyncLifetime
{
    private const string Archiver = "deploy/examples/mongodbarchiver.yaml";
    private KubernetesEmulator _api = null!;
    private Kubectl _kubectl = null!;

    public async Task InitializeAsync()
    {
        _api = await KubernetesEmulator.StartAsync(new KubernetesEmulatorOptions { Namespaces = ["default", "demo", "kubedb"], CustomResourceDefinitions = [] });
        _kubectl = new Kubectl(_api);
    }

    [Fact]
    public async Task Kubectl_version_reports_the_emulated_server()
    {
        var version = (await _kubectl.RunAsync("version")).Succeeded();

        Assert.Contains("Server Version: v1.32.0", version.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_ns_lists_the_namespaces_as_a_table()
    {
        var namespaces = (await _kubectl.RunAsync("get", "ns")).Succeeded();

        var lines = Lines(namespaces.Output);
        Assert.Equal(["NAME", "STATUS", "AGE"], Cells(lines[0]));
        Assert.Equal(["demo", "Active"], Cells(Assert.Single(lines, l => l.StartsWith("demo ", StringComparison.Ordinal)))[..2]);
    }

    [Fact]
    public async Task Api_resources_lists_our_kinds_once_their_CRDs_are_applied()
    {
        var before = (await _kubectl.RunAsync("api-resources")).Succeeded();
        Assert.DoesNotContain("mongodbarchivers", before.Output, StringComparison.Ordinal);
        Assert.Contains(["statefulsets", "sts", "apps/v1", "true", "StatefulSet"], Lines(before.Output).Select(Cells));

        (await _kubectl.RunAsync("apply", "-f", "deploy/statefulset/crds.yaml")).Succeeded();
        var after = (await _kubectl.RunAsync("api-resources", "--api-group=archiver.kubedb.com")).Succeeded();

        Assert.Contains(["mongodbarchivers", "archiver.kubedb.com/v1alpha1", "true", "MongoDBArchiver"], Lines(after.Output).Select(Cells));
    }

    [Fact]
    public async Task Apply_of_the_statefulset_folder_creates_every_object_in_file_order()
    {
        // The folder's certificates are cert-manager's kinds: a cluster it runs on has cert-manager's CRDs.
        (await _kubectl.RunWithInputAsync(CertManagerCrds, "apply", "-f", "-")).Succeeded();

        var apply = (await _kubectl.RunAsync("apply", "-f", "deploy/statefulset/")).Succeeded();
        var objects = (await _kubectl.RunAsync("get", "statefulsets,services,serviceaccounts", "-n", "archiver")).Succeeded();

        Assert.Contains("customresourcedefinition.apiextensions.k8s.io/mongodbarchivers.archiver.kubedb.com created", apply.Output, StringComparison.Ordinal);
        Assert.Contains("certificate.cert-manager.io/archiver-webhook created", apply.Output, StringComparison.Ordinal);
        var names = Lines(objects.Output).Select(l => Cells(l)[0]).ToList();
        Assert.Contains("statefulset.apps/archiver", names);
        Assert.Contains("service/archiver", names);
        Assert.Contains("service/archiver-webhook", names);
        Assert.Contains("serviceaccount/archiver", names);
        var again = (await _kubectl.RunAsync("apply", "-f", "deploy/statefulset/")).Succeeded();
        // Every object unchanged, but the PodDisruptionBudget: kubectl's own patch for it always carries its selector
        // (policy/v1 PodDisruptionBudgetSpec.Selector has patchStrategy "replace"), computed on the client.
        Assert.All(Lines(again.Output).Where(l => !l.StartsWith("poddisruptionbudget.policy/", StringComparison.Ordinal)), l => Assert.EndsWith(" unchanged", l, StringComparison.Ordinal));
        Assert.Contains("poddisruptionbudget.policy/archiver", again.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_its_CRD_a_kind_is_not_found_as_on_a_cluster()
    {
        var apply = await _kubectl.RunAsync("apply", "-f", Archiver);

        Assert.Equal(1, apply.ExitCode);
        Assert.Contains("no matches for kind \"MongoDBArchiver\" in version \"archiver.kubedb.com/v1alpha1\"", apply.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Applying_an_archiver_again_is_unchanged_and_a_change_is_configured_by_a_merge_patch()
    {
        (await _kubectl.RunAsync("apply", "-f", "deploy/statefulset/crds.yaml")).Succeeded();

        var created = (await _kubectl.RunAsync("apply", "-f", Archiver)).Succeeded();
        var unchanged = (await _kubectl.RunAsync("apply", "-f", Archiver)).Succeeded();
        var changed = _kubectl.WriteFile("paused.yaml", File.ReadAllText(Path.Combine(Kubectl.Repository, Archiver)).Replace("pause: false", "pause: true", StringComparison.Ordinal));
        var configured = (await _kubectl.RunAsync("apply", "-f", changed)).Succeeded();

        Assert.Equal("mongodbarchiver.archiver.kubedb.com/archiver-demo created", created.Output.Trim());
        Assert.Equal("mongodbarchiver.archiver.kubedb.com/archiver-demo unchanged", unchanged.Output.Trim());
        Assert.Equal("mongodbarchiver.archiver.kubedb.com/archiver-demo configured", configured.Output.Trim());
        var stored = _api.Get("/apis/archiver.kubedb.com/v1alpha1/namespaces/kubedb/mongodbarchivers/archiver-demo")!;
        Assert.True(stored["spec"]!["pause"]!.GetValue<bool>());
        Assert.Equal("2", stored["metadata"]!["generation"]!.ToJsonString());
        Assert.Contains("\"pause\":true", stored["metadata"]!["annotations"]!["kubectl.kubernetes.io/last-applied-configuration"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_prints_custom_resources_with_their_printer_columns_and_as_yaml()
    {
        (await _kubectl.RunWithInputAsync(CertManagerCrds, "apply", "-f", "-")).Succeeded();
        await ApplyArchiverAsync();
        (await _kubectl.RunWithInputAsync(Certificate, "apply", "-f", "-")).Succeeded();

        var archivers = (await _kubectl.RunAsync("get", "mongodbarchivers", "-n", "kubedb")).Succeeded();
        var certificates = (await _kubectl.RunAsync("get", "certs", "-n", "demo")).Succeeded();
        var yaml = (await _kubectl.RunAsync("get", "mongodbarchiver", "archiver-demo", "-n", "kubedb", "-o", "yaml")).Succeeded();
        var missing = await _kubectl.RunAsync("get", "mongodbarchiver", "absent", "-n", "kubedb");

        Assert.Equal(["NAME", "PHASE", "DATABASES", "STORAGE", "AGE"], Cells(Lines(archivers.Output)[0]));
        Assert.Equal("archiver-demo", Cells(Lines(archivers.Output)[1])[0]);
        Assert.Equal(["NAME", "READY", "SECRET", "AGE"], Cells(Lines(certificates.Output)[0]));
        Assert.Equal(["web", "True", "web-tls"], Cells(Lines(certificates.Output)[1])[..3]);
        Assert.Contains("kind: MongoDBArchiver", yaml.Output, StringComparison.Ordinal);
        Assert.Contains("volumeSnapshotClassName: longhorn-snapshot-vsc", yaml.Output, StringComparison.Ordinal);
        Assert.Equal(1, missing.ExitCode);
        Assert.Equal("Error from server (NotFound): mongodbarchivers.archiver.kubedb.com \"absent\" not found", missing.Error.Trim());
    }

    [Fact]
    public async Task Get_shows_a_databases_archiving_and_an_ops_requests_progress_in_their_printer_columns()
    {
        (await _kubectl.RunAsync("apply", "-f", "deploy/statefulset/crds.yaml")).Succeeded();
        (await _kubectl.RunAsync("apply", "-f", "deploy/examples/mongodb.yaml")).Succeeded();
        (await _kubectl.RunAsync("apply", "-f", "deploy/examples/mongodbopsrequest.yaml")).Succeeded();
        (await _kubectl.RunAsync("patch", "mongodb", "mg-rs", "-n", "demo", "--subresource=status", "--type=merge", "-p", """
            {"status":{"phase":"Ready","archiver":{"phase":"Archiving","lag":"1.2s","lastFullBackup":"2026-12-07T10:00:00Z",
              "recoverableWindows":[{"component":"rs0","start":"2026-12-06T10:00:00Z","end":"2026-12-06T12:00:00Z"},
                                    {"component":"rs0","start":"2026-12-07T10:00:00Z","end":"2026-12-07T11:30:00Z"}]}}}
            """)).Succeeded();
        (await _kubectl.RunAsync("patch", "mongodbopsrequest", "archiver-ops-demo", "-n", "demo", "--subresource=status", "--type=merge", "-p", """{"status":{"phase":"Progressing"}}""")).Succeeded();

        var databases = Lines((await _kubectl.RunAsync("get", "mongodb", "-n", "demo", "-o", "wide")).Succeeded().Output);
        var requests = Lines((await _kubectl.RunAsync("get", "mongodbopsrequests", "-n", "demo", "-o", "wide")).Succeeded().Output);

        Assert.Matches(@"^NAME\s+VERSION\s+STATUS\s+ARCHIVING\s+LAG\s+LAST BACKUP\s+RECOVERABLE UNTIL\s+AGE$", databases[0]);
        Assert.Matches(@"^mg-rs\s+\S+\s+Ready\s+Archiving\s+1\.2s\s+\S+\s+2026-12-07T11:30:00Z\s+\S+$", databases[1]);
        Assert.Matches(@"^NAME\s+TYPE\s+DATABASE\s+PHASE\s+OPERATION\s+AGE$", requests[0]);
        Assert.Matches(@"^archiver-ops-demo\s+\S+\s+mg-rs\s+Progressing\s+ConfigureArchiver\s+\S+$", requests[1]);

        // An incremental Snapshot's span, in -o wide.
        (await _kubectl.RunAsync("apply", "-f", "deploy/examples/snapshot.yaml")).Succeeded();
        var snapshots = Lines((await _kubectl.RunAsync("get", "snapshots.storage.kubestash.com", "-n", "demo", "-o", "wide")).Succeeded().Output);
        Assert.Matches(@"^NAME\s+TYPE\s+DATABASE\s+PHASE\s+SIZE\s+VERIFICATION\s+START\s+END\s+UPDATED\s+AGE$", snapshots[0]);
        Assert.Matches(@"^sample-mongodb-backup-1561974001\s+IncrementalBackup\s+sample-mongodb\s+.*2020-10-28T12:11:10\+03:00\s+2020-10-28T12:11:10\+03:00\s", snapshots[1]);
    }

    [Fact]
    public async Task Patch_merges_by_strategy_for_built_in_kinds_and_refuses_it_for_custom_resources()
    {
        await ApplyArchiverAsync();
        (await _kubectl.RunWithInputAsync(StatefulSet, "apply", "-f", "-")).Succeeded();

        // A strategic merge patch merges the containers list by name: the other container stays.
        (await _kubectl.RunAsync("patch", "statefulset", "mg", "-n", "demo", "-p", """{"spec":{"template":{"spec":{"containers":[{"name":"mongodb","image":"mongo:8.0"}]}}}}""")).Succeeded();
        var images = (await _kubectl.RunAsync("get", "sts", "mg", "-n", "demo", "-o", "jsonpath={.spec.template.spec.containers[*].image}")).Succeeded();
        var strategic = await _kubectl.RunAsync("patch", "mongodbarchiver", "archiver-demo", "-n", "kubedb", "-p", """{"spec":{"pause":true}}""");
        (await _kubectl.RunAsync("patch", "mongodbarchiver", "archiver-demo", "-n", "kubedb", "--type=merge", "-p", """{"spec":{"pause":true}}""")).Succeeded();
        (await _kubectl.RunAsync("patch", "mongodbarchiver", "archiver-demo", "-n", "kubedb", "--type=json", "-p", """[{"op":"replace","path":"/spec/deletionPolicy","value":"WipeOut"}]""")).Succeeded();
        (await _kubectl.RunAsync("label", "mongodbarchiver", "archiver-demo", "-n", "kubedb", "tier=gold")).Succeeded();
        (await _kubectl.RunAsync("annotate", "mongodbarchiver", "archiver-demo", "-n", "kubedb", "note=kept")).Succeeded();

        Assert.Equal("mongo:8.0 exporter:1", images.Output);
        Assert.Equal(1, strategic.ExitCode);
        Assert.Contains("the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json", strategic.Error, StringComparison.Ordinal);
        var stored = _api.Get("/apis/archiver.kubedb.com/v1alpha1/namespaces/kubedb/mongodbarchivers/archiver-demo")!;
        Assert.True(stored["spec"]!["pause"]!.GetValue<bool>());
        Assert.Equal("WipeOut", stored["spec"]!["deletionPolicy"]!.GetValue<string>());
        Assert.Equal("gold", stored["metadata"]!["labels"]!["tier"]!.GetValue<string>());
        Assert.Equal("kept", stored["metadata"]!["annotations"]!["note"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_statefulsets_service_name_cannot_change_but_its_template_can()
    {
        (await _kubectl.RunWithInputAsync(StatefulSet, "apply", "-f", "-")).Succeeded();

        var renamed = await _kubectl.RunWithInputAsync(StatefulSet.Replace("mg-pods", "other-pods", StringComparison.Ordinal), "apply", "-f", "-");
        var retagged = await _kubectl.RunWithInputAsync(StatefulSet.Replace("mongo:7.0", "mongo:7.0.1", StringComparison.Ordinal), "apply", "-f", "-");

        Assert.Equal(1, renamed.ExitCode);
        Assert.Contains("The StatefulSet \"mg\" is invalid: spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden", renamed.Error, StringComparison.Ordinal);
        Assert.Equal("statefulset.apps/mg configured", retagged.Succeeded().Output.Trim());
    }

    [Fact]
    public async Task Replace_finds_the_version_itself_and_a_raw_put_without_one_is_refused()
    {
        await ApplyArchiverAsync();
        const string url = "/apis/archiver.kubedb.com/v1alpha1/namespaces/kubedb/mongodbarchivers/archiver-demo";

        // kubectl replace reads the current resourceVersion when the file has none (cli-runtime Helper.Replace).
        var replace = (await _kubectl.RunAsync("replace", "-f", Archiver)).Succeeded();
        var unconditional = _kubectl.WriteFile("archiver.json", """{"apiVersion":"archiver.kubedb.com/v1alpha1","kind":"MongoDBArchiver","metadata":{"name":"archiver-demo","namespace":"kubedb"},"spec":{}}""");
        var raw = await _kubectl.RunAsync("replace", "--raw", url, "-f", unconditional);
        var create = await _kubectl.RunAsync("create", "-f", Archiver);

        Assert.Equal("mongodbarchiver.archiver.kubedb.com/archiver-demo replaced", replace.Output.Trim());
        Assert.Equal(1, raw.ExitCode);
        Assert.Contains("metadata.resourceVersion: Invalid value: 0: must be specified for an update", raw.Error, StringComparison.Ordinal);
        Assert.Equal("Error from server (AlreadyExists): error when creating \"deploy/examples/mongodbarchiver.yaml\": mongodbarchivers.archiver.kubedb.com \"archiver-demo\" already exists", create.Error.Trim());
    }

    [Fact]
    public async Task Delete_of_an_object_with_a_finalizer_marks_it_until_the_finalizer_is_removed()
    {
        await ApplyArchiverAsync();
        (await _kubectl.RunAsync("patch", "mongodbarchiver", "archiver-demo", "-n", "kubedb", "--type=merge", "-p", """{"metadata":{"finalizers":["archiver.kubedb.com/test"]}}""")).Succeeded();

        var delete = (await _kubectl.RunAsync("delete", "mongodbarchiver", "archiver-demo", "-n", "kubedb", "--wait=false")).Succeeded();
        var marked = (await _kubectl.RunAsync("get", "mongodbarchiver", "archiver-demo", "-n", "kubedb", "-o", "jsonpath={.metadata.deletionTimestamp}")).Succeeded();
        var added = await _kubectl.RunAsync("patch", "mongodbarchiver", "archiver-demo", "-n", "kubedb", "--type=json", "-p", """[{"op":"add","path":"/metadata/finalizers/-","value":"another"}]""");
        (await _kubectl.RunAsync("patch", "mongodbarchiver", "archiver-demo", "-n", "kubedb", "--type=json", "-p", """[{"op":"remove","path":"/metadata/finalizers"}]""")).Succeeded();
        var gone = await _kubectl.RunAsync("get", "mongodbarchiver", "archiver-demo", "-n", "kubedb");

        Assert.Equal("mongodbarchiver.archiver.kubedb.com \"archiver-demo\" deleted", delete.Output.Trim());
        Assert.NotEmpty(marked.Output);
        Assert.Equal(1, added.ExitCode);
        Assert.Contains("metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted", added.Error, StringComparison.Ordinal);
        Assert.Equal("Error from server (NotFound): mongodbarchivers.archiver.kubedb.com \"archiver-demo\" not found", gone.Error.Trim());
    }

    [Fact]
    public async Task Get_w_prints_a_change_as_it_happens()
    {
        await ApplyArchiverAsync();
        using var watch = _kubectl.Start("get", "mongodbarchivers", "-n", "kubedb", "-w", "--output-watch-events");
        try
        {
            var header = await watch.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10));
            var added = await watch.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10));

            (await _kubectl.RunAsync("label", "mongodbarchiver", "archiver-demo", "-n", "kubedb", "tier=gold")).Succeeded();
            var modified = await watch.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10));

            Assert.Equal(["EVENT", "NAME", "PHASE", "DATABASES", "STORAGE", "AGE"], Cells(header!));
            Assert.Equal(["ADDED", "archiver-demo"], Cells(added!)[..2]);
            Assert.Equal(["MODIFIED", "archiver-demo"], Cells(modified!)[..2]);
        }
        finally
        {
            watch.Kill(entireProcessTree: true);
        }
    }

    [Fact]
    public async Task Deleting_an_owner_deletes_its_dependents_in_the_background_and_in_the_foreground()
    {
        foreach (var cascade in new[] { "background", "foreground" })
        {
            (await _kubectl.RunWithInputAsync(Owner, "apply", "-f", "-")).Succeeded();
            var uid = (await _kubectl.RunAsync("get", "configmap", "owner", "-n", "demo", "-o", "jsonpath={.metadata.uid}")).Succeeded().Output;
            (await _kubectl.RunWithInputAsync(Dependent(uid), "apply", "-f", "-")).Succeeded();

            (await _kubectl.RunAsync("delete", "configmap", "owner", "-n", "demo", $"--cascade={cascade}")).Succeeded();

            Assert.Null(_api.Get("/api/v1/namespaces/demo/configmaps/owner"));
            Assert.Null(_api.Get("/api/v1/namespaces/demo/secrets/dependent"));
        }
    }

    [Fact]
    public async Task Deleting_an_owner_with_orphan_keeps_its_dependents_without_the_reference()
    {
        (await _kubectl.RunWithInputAsync(Owner, "apply", "-f", "-")).Succeeded();
        var uid = (await _kubectl.RunAsync("get", "configmap", "owner", "-n", "demo", "-o", "jsonpath={.metadata.uid}")).Succeeded().Output;
        (await _kubectl.RunWithInputAsync(Dependent(uid), "apply", "-f", "-")).Succeeded();

        (await _kubectl.RunAsync("delete", "configmap", "owner", "-n", "demo", "--cascade=orphan")).Succeeded();

        var dependent = _api.Get("/api/v1/namespaces/demo/secrets/dependent");
        Assert.NotNull(dependent);
        Assert.Null(dependent["metadata"]!["ownerReferences"]);
    }

    [Fact]
    public async Task A_CRD_and_its_resource_in_one_apply_fail_for_the_resource_as_on_a_cluster_and_a_second_apply_creates_it()
    {
        // kubectl maps every object to a resource before it applies the first, so the CRD is created but its resource
        // is refused; the next run finds the kind (kubectl re-reads discovery when a kind is unknown).
        var first = await _kubectl.RunAsync("apply", "-f", "deploy/statefulset/crds.yaml", "-f", Archiver);
        var second = await _kubectl.RunAsync("apply", "-f", "deploy/statefulset/crds.yaml", "-f", Archiver);

        Assert.Equal(1, first.ExitCode);
        Assert.Contains("ensure CRDs are installed first", first.Error, StringComparison.Ordinal);
        Assert.Contains("customresourcedefinition.apiextensions.k8s.io/mongodbarchivers.archiver.kubedb.com created", first.Output, StringComparison.Ordinal);
        Assert.Equal(0, second.ExitCode);
        Assert.Contains("mongodbarchiver.archiver.kubedb.com/archiver-demo created", second.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Explain_reads_the_field_descriptions_of_the_applied_CRDs()
    {
        (await _kubectl.RunAsync("apply", "-f", "deploy/statefulset/crds.yaml")).Succeeded();

        var explain = (await _kubectl.RunAsync("explain", "mongodbarchiver.spec.fullBackup")).Succeeded();
        var driver = (await _kubectl.RunAsync("explain", "mongodbarchivers.spec.fullBackup.driver")).Succeeded();

        // kubectl wraps descriptions to its width: compare with the white space made single.
        var text = string.Join(' ', explain.Output.Split((char[])[' ', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("GROUP: archiver.kubedb.com", text, StringComparison.Ordinal);
        Assert.Contains("FIELD: fullBackup <Object>", text, StringComparison.Ordinal);
        Assert.Contains("Full backups: when they run (a cron schedule) and how they are taken", text, StringComparison.Ordinal);
        Assert.Contains("scheduler <Object> -required-", text, StringComparison.Ordinal);
        Assert.Contains("timeout <string> A Go duration (such as 2h) after which a running backup is failed.", text, StringComparison.Ordinal);
        var driverText = string.Join(' ', driver.Output.Split((char[])[' ', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("ENUM: CSISnapshotter VolumeSnapshotter Logical", driverText, StringComparison.Ordinal);
        Assert.Contains("DESCRIPTION: How a full backup is taken.", driverText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_applied_CRDs_refuse_what_their_schema_refuses_and_default_what_it_defaults()
    {
        (await _kubectl.RunAsync("apply", "-f", "deploy/statefulset/crds.yaml")).Succeeded();
        var wrong = _kubectl.WriteFile("wrong.yaml", """
            apiVersion: archiver.kubedb.com/v1alpha1
            kind: MongoDBArchiver
            metadata: {name: wrong, namespace: demo}
            spec:
              fullBackup: {driver: Restic, scheduler: {schedule: "@daily"}, timeout: an hour}
              backupStorage: {ref: {name: s}}
              deletionPolicy: Keep
            """);
        var right = _kubectl.WriteFile("right.yaml", """
            apiVersion: archiver.kubedb.com/v1alpha1
            kind: MongoDBArchiver
            metadata: {name: right, namespace: demo}
            spec:
              fullBackup: {csiSnapshotter: {volumeSnapshotClassName: vsc}, scheduler: {schedule: "@daily"}}
              walBackup: {config: {chunkMaxSize: 4096}}
              backupStorage: {ref: {name: s}}
            """);

        var refused = await _kubectl.RunAsync("apply", "-f", wrong);
        (await _kubectl.RunAsync("apply", "-f", right)).Succeeded();
        var stored = (await _kubectl.RunAsync("get", "mongodbarchiver", "right", "-n", "demo", "-o",
            "jsonpath={.spec.fullBackup.driver} {.spec.fullBackup.failurePolicy} {.spec.walBackup.config.chunkMaxSize}")).Succeeded();

        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("The MongoDBArchiver \"wrong\" is invalid:", refused.Error, StringComparison.Ordinal);
        Assert.Contains("spec.fullBackup.driver: Unsupported value: \"Restic\"", refused.Error, StringComparison.Ordinal);
        Assert.Contains("spec.fullBackup.timeout: Invalid value: \"an hour\"", refused.Error, StringComparison.Ordinal);
        Assert.Contains("spec.deletionPolicy: Unsupported value: \"Keep\"", refused.Error, StringComparison.Ordinal);
        Assert.Equal("CSISnapshotter Fail 4096", stored.Output);
    }

    private async Task ApplyArchiverAsync()
    {
        (await _kubectl.RunAsync("apply", "-f", "deploy/statefulset/crds.yaml")).Succeeded();
        (await _kubectl.RunAsync("apply", "-f", Archiver)).Succeeded();
    }

    private const string Owner = """
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: owner, namespace: demo}
        data: {key: value}
        """;

    private static string Dependent(string ownerUid) => $$"""
        apiVersion: v1
        kind: Secret
        metadata:
          name: dependent
          namespace: demo
          ownerReferences:
            - {apiVersion: v1, kind: ConfigMap, name: owner, uid: {{ownerUid}}, controller: true, blockOwnerDeletion: true}
        stringData: {key: value}
        """;

    private const string StatefulSet = """
        apiVersion: apps/v1
        kind: StatefulSet
        metadata: {name: mg, namespace: demo}
        spec:
          serviceName: mg-pods
          selector: {matchLabels: {app: mg}}
          template:
            metadata: {labels: {app: mg}}
            spec:
              containers:
                - {name: mongodb, image: "mongo:7.0", ports: [{name: db, containerPort: 27017}]}
                - {name: exporter, image: "exporter:1"}
        """;

    private const string Certificate = """
        apiVersion: cert-manager.io/v1
        kind: Certificate
        metadata: {name: web, namespace: demo}
        spec: {secretName: web-tls, dnsNames: [web.demo.svc], issuerRef: {name: ca, kind: Issuer}}
        status:
          conditions: [{type: Ready, status: "True"}]
        """;

    // cert-manager's two kinds the statefulset folder uses, with the printer columns cert-manager gives Certificates.
    private const string CertManagerCrds = """
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata: {name: issuers.cert-manager.io}
        spec:
          group: cert-manager.io
          scope: Namespaced
          names: {kind: Issuer, plural: issuers, singular: issuer, categories: [cert-manager]}
          versions:
            - name: v1
              served: true
              storage: true
              subresources: {status: {}}
              schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
        ---
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata: {name: certificates.cert-manager.io}
        spec:
          group: cert-manager.io
          scope: Namespaced
          names: {kind: Certificate, plural: certificates, singular: certificate, shortNames: [cert, certs], categories: [cert-manager]}
          versions:
            - name: v1
              served: true
              storage: true
              additionalPrinterColumns:
                - {name: Ready, type: string, jsonPath: '.status.conditions[?(@.type=="Ready")].status'}
                - {name: Secret, type: string, jsonPath: .spec.secretName}
                - {name: Age, type: date, jsonPath: .metadata.creationTimestamp}
              schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
        """;

    private static List<string> Lines(string text) => [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries)];

    private static string[] Cells(string line) => line.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    public async Task DisposeAsync()
    {
        _kubectl.Dispose();
        await _api.DisposeAsync();
    }
}
