using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Archiver.Emulators.Cluster.Api;

namespace Archiver.Emulators.Cluster.KubeDb;

/// <summary>
/// The objects KubeDB makes for a MongoDB replica set or sharded database, named and labelled as kubedb/apimachinery's
/// MongoDB helpers name them (<c>apis/kubedb/v1/mongodb_helpers.go</c>: OffshootSelectors, ShardSelectors,
/// ConfigSvrSelectors, MongosSelectors, GoverningServiceName, GetAuthSecretName, ShardDSN, ConfigSvrDSN;
/// constants in <c>apis/kubedb/constants.go</c>), each owned by the MongoDB (<c>controller: true</c>,
/// <c>blockOwnerDeletion: true</c>). The operator's exact pod template is not public; this one has what the stand-in
/// doc lists (container <c>mongodb</c>, port <c>db</c>, <c>datadir</c> at <c>/data/db</c>, the <c>mongosh</c> ping
/// probes, root credentials from the auth secret) and leaves out KubeDB's own images (the
/// <c>replication-mode-detector</c> sidecar and the <c>copy-config</c> init container), which cannot run here: the
/// stand-in sets the role labels itself.
/// </summary>
internal static class MongoDbManifests
{
    public const string RoleLabel = "kubedb.com/role";

    public static Dictionary<string, string> Selectors(string db) => new(StringComparer.Ordinal)
    {
        ["app.kubernetes.io/name"] = "mongodbs.kubedb.com",
        ["app.kubernetes.io/instance"] = db,
        ["app.kubernetes.io/managed-by"] = "kubedb.com",
    };

    /// <summary>The MongoDB's own labels (but KubeDB's selector keys), then the selectors and the component.</summary>
    public static JsonObject Labels(JsonObject mongo)
    {
        var labels = J.Labels(mongo).Where(l => !l.Key.StartsWith("app.kubernetes.io/", StringComparison.Ordinal)).ToDictionary();
        foreach (var (key, value) in Selectors(J.Name(mongo))) labels[key] = value;
        labels["app.kubernetes.io/component"] = "database";
        return J.Object(labels);
    }

    public static string AuthSecretName(JsonObject mongo) =>
        J.Text(mongo["spec"]?["authSecret"]?["name"]) is { Length: > 0 } name ? name : $"{J.Name(mongo)}-auth";

    public static string Image(JsonObject mongo) => $"ghcr.io/appscode-images/mongo:{(J.Text(mongo["spec"]?["version"]) is { Length: > 0 } v ? v : "7.0.21")}";

    public static JsonObject Metadata(JsonObject mongo, string name) => new()
    {
        ["name"] = name,
        ["namespace"] = J.Namespace(mongo),
        ["labels"] = Labels(mongo),
        ["ownerReferences"] = new JsonArray(J.ControllerReference(mongo)),
    };

    /// <summary>A component's object: the MongoDB's labels with the component's selectors over them (ShardLabels, ConfigSvrLabels, MongosLabels).</summary>
    private static JsonObject Metadata(JsonObject mongo, string name, MongoDbComponent component)
    {
        var metadata = Metadata(mongo, name);
        foreach (var (key, value) in component.Selectors) metadata["labels"]![key] = value;
        return metadata;
    }

    public static JsonObject AuthSecret(JsonObject mongo) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Secret",
        ["metadata"] = Metadata(mongo, AuthSecretName(mongo)),
        ["type"] = "kubernetes.io/basic-auth",
        ["data"] = new JsonObject
        {
            ["username"] = Convert.ToBase64String("root"u8),
            ["password"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(RandomPassword())),
        },
    };

    public static JsonObject KeySecret(JsonObject mongo) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Secret",
        ["metadata"] = Metadata(mongo, $"{J.Name(mongo)}-key"),
        ["type"] = "Opaque",
        ["data"] = new JsonObject { ["key.txt"] = Convert.ToBase64String(Encoding.ASCII.GetBytes(Convert.ToBase64String(RandomNumberGenerator.GetBytes(756)))) },
    };

    public static JsonObject ServiceAccount(JsonObject mongo) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "ServiceAccount",
        ["metadata"] = Metadata(mongo, J.Name(mongo)),
    };

    /// <summary>
    /// A workload's headless governing Service (<c>{workload}-pods</c>): every pod's name resolves, ready or not, so
    /// members can find each other (and a sharded database's routers find the shards and config server).
    /// </summary>
    public static JsonObject GoverningServiceObject(JsonObject mongo, MongoDbComponent component) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Service",
        ["metadata"] = Metadata(mongo, component.GoverningService, component),
        ["spec"] = new JsonObject
        {
            ["clusterIP"] = "None",
            ["publishNotReadyAddresses"] = true,
            ["selector"] = J.Object(component.Selectors),
            ["ports"] = new JsonArray(new JsonObject { ["name"] = "db", ["port"] = 27017, ["targetPort"] = "db", ["protocol"] = "TCP" }),
        },
    };

    /// <summary>
    /// The primary Service, the one endpoint clients write to: a replica set's pod labelled primary, or a sharded
    /// database's routers (<paramref name="mongos"/>; KubeDB's ensurePrimaryService selects MongosSelectors, no role).
    /// </summary>
    public static JsonObject PrimaryService(JsonObject mongo, MongoDbComponent? mongos = null)
    {
        var selector = mongos is null ? Selectors(J.Name(mongo)) : new Dictionary<string, string>(mongos.Selectors);
        if (mongos is null) selector[RoleLabel] = "primary";
        return new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Service",
            ["metadata"] = Metadata(mongo, J.Name(mongo)),
            ["spec"] = new JsonObject
            {
                ["type"] = "ClusterIP",
                ["selector"] = J.Object(selector),
                ["ports"] = new JsonArray(new JsonObject { ["name"] = "primary", ["port"] = 27017, ["targetPort"] = "db", ["protocol"] = "TCP" }),
            },
        };
    }

    /// <summary>
    /// The StatefulSet (v1alpha2-era KubeDB) or PetSet (v1) running a component's pods: a replica set's or a shard's or
    /// config server's members (mongod with <c>--replSet</c>, and <c>--shardsvr</c> or <c>--configsvr</c>, kubedb/mongodb
    /// statefulset.go), or the routers (<c>mongos --configdb</c>, the config server's DSN, and no data volume).
    /// </summary>
    public static JsonObject Workload(JsonObject mongo, bool petSet, MongoDbComponent component)
    {
        var db = J.Name(mongo);
        var name = component.Workload;
        var template = component.PodTemplate;
        var templateLabels = J.Map(template["metadata"]?["labels"]);
        foreach (var (key, value) in component.Selectors) templateLabels[key] = value;
        templateLabels["app.kubernetes.io/component"] = "database";
        var storage = component.Storage ?? [];
        var secret = AuthSecretName(mongo);
        var probe = new JsonObject
        {
            ["exec"] = new JsonObject
            {
                ["command"] = new JsonArray("bash", "-c", """
                    set -x; if [[ $(mongosh admin --host=localhost --authenticationDatabase=admin --username="$MONGO_INITDB_ROOT_USERNAME" --password="$MONGO_INITDB_ROOT_PASSWORD" --quiet --eval "db.adminCommand('ping').ok") -eq "1" ]]; then exit 0; fi; exit 1
                    """),
            },
            ["periodSeconds"] = 10,
            ["timeoutSeconds"] = 10,
            ["failureThreshold"] = 3,
            ["successThreshold"] = 1,
        };
        var env = new JsonArray(
            SecretEnv("MONGO_INITDB_ROOT_USERNAME", secret, "username"),
            SecretEnv("MONGO_INITDB_ROOT_PASSWORD", secret, "password"));
        if (component.IsMongos)
        {
            // What KubeDB's mongos.go gives the routers: the config server's DSN, every shard's DSN, the primary Service.
            env.Add(new JsonObject { ["name"] = "CONFIGDB_REPSET", ["value"] = Dsn(mongo, ShardedSibling(mongo, MongoDbComponent.ConfigLabel)) });
            env.Add(new JsonObject
            {
                ["name"] = "SHARD_REPSETS",
                ["value"] = string.Join(' ', MongoDbComponent.ShardedOf(mongo).Where(c => c.NodeType == "shard").Select(c => Dsn(mongo, c))),
            });
            env.Add(new JsonObject { ["name"] = "SERVICE_NAME", ["value"] = db });
        }

        foreach (var extra in J.Objects(template["spec"]?["containers"]).Where(c => J.Text(c["name"]) == "mongodb").SelectMany(c => J.Objects(c["env"])))
        {
            env.Add(extra.DeepClone());
        }

        JsonArray args = component.IsMongos
            ? new("--configdb=$(CONFIGDB_REPSET)", "--port=27017", "--ipv6", "--bind_ip_all", "--keyFile=/data/configdb/key.txt", "--clusterAuthMode=keyFile")
            : new("--dbpath=/data/db", "--auth", "--port=27017", "--ipv6", "--bind_ip_all",
                $"--replSet={component.ReplicaSet}", "--keyFile=/data/configdb/key.txt", "--clusterAuthMode=keyFile");
        if (component.NodeType == "shard") args.Insert(0, "--shardsvr");
        if (component.NodeType == "configsvr") args.Insert(0, "--configsvr");
        var mounts = new JsonArray(new JsonObject { ["name"] = "keydir", ["mountPath"] = "/data/configdb", ["readOnly"] = true });
        if (!component.IsMongos) mounts.Insert(0, new JsonObject { ["name"] = "datadir", ["mountPath"] = "/data/db" });
        var container = new JsonObject
        {
            ["name"] = "mongodb",
            ["image"] = Image(mongo),
            ["args"] = args,
            ["env"] = env,
            ["ports"] = new JsonArray(new JsonObject { ["name"] = "db", ["containerPort"] = 27017, ["protocol"] = "TCP" }),
            ["readinessProbe"] = probe.DeepClone(),
            ["livenessProbe"] = probe.DeepClone(),
            ["volumeMounts"] = mounts,
        };
        if (component.IsMongos) container.Insert(2, "command", new JsonArray("mongos"));

        var workload = new JsonObject
        {
            ["apiVersion"] = petSet ? "apps.k8s.appscode.com/v1" : "apps/v1",
            ["kind"] = petSet ? "PetSet" : "StatefulSet",
            ["metadata"] = Metadata(mongo, name, component),
            ["spec"] = new JsonObject
            {
                ["replicas"] = component.Replicas,
                ["serviceName"] = component.GoverningService,
                ["podManagementPolicy"] = "OrderedReady",
                // KubeDB's operators change a database's pods only through their ops requests, so the workload never rolls
                // by itself on a template change: a pod takes a new template when it is deleted (kubedb/elasticsearch,
                // kubedb/mysql statefulset.go: "Statefulset update strategy is set default to OnDelete").
                ["updateStrategy"] = new JsonObject { ["type"] = "OnDelete" },
                ["selector"] = new JsonObject { ["matchLabels"] = J.Object(component.Selectors) },
                ["template"] = new JsonObject
                {
                    ["metadata"] = new JsonObject
                    {
                        ["labels"] = J.Object(templateLabels),
                        ["annotations"] = template["metadata"]?["annotations"]?.DeepClone() ?? new JsonObject(),
                    },
                    ["spec"] = new JsonObject
                    {
                        ["serviceAccountName"] = J.Text(template["spec"]?["serviceAccountName"]) is { Length: > 0 } sa ? sa : db,
                        ["terminationGracePeriodSeconds"] = 30,
                        ["containers"] = new JsonArray(container),
                        ["volumes"] = new JsonArray(new JsonObject
                        {
                            ["name"] = "keydir",
                            ["secret"] = new JsonObject { ["secretName"] = $"{db}-key", ["defaultMode"] = 256 },
                        }),
                    },
                },
            },
        };

        // The routers keep no data: KubeDB gives them no data volume (kubedb/mongodb statefulset.go: if !opts.isMongos).
        if (!component.IsMongos)
        {
            workload["spec"]!["volumeClaimTemplates"] = new JsonArray(new JsonObject
            {
                ["metadata"] = new JsonObject { ["name"] = "datadir" },
                ["spec"] = new JsonObject
                {
                    ["accessModes"] = storage["accessModes"]?.DeepClone() ?? new JsonArray("ReadWriteOnce"),
                    ["resources"] = storage["resources"]?.DeepClone() ?? new JsonObject { ["requests"] = new JsonObject { ["storage"] = "1Gi" } },
                    ["storageClassName"] = storage["storageClassName"]?.DeepClone(),
                },
            });
        }

        // A PetSet has fields of its own beside a StatefulSet's: KubeDB names the placement policy its pods follow
        // (kubeops.dev/petset, PetSetSpec.PodPlacementPolicy; "default" unless the database names another). A writer that
        // read the PetSet as a StatefulSet and wrote that back would drop it.
        if (petSet) workload["spec"]!["podPlacementPolicy"] = new JsonObject { ["name"] = "default" };
        return workload;
    }

    /// <summary>A replica set component's DSN (ShardDSN, ConfigSvrDSN): <c>{replicaSet}/{workload}-{i}.{workload}-pods.{ns}.svc:27017,...</c>.</summary>
    public static string Dsn(JsonObject mongo, MongoDbComponent component) =>
        $"{component.ReplicaSet}/" + string.Join(',', Enumerable.Range(0, component.Replicas)
            .Select(i => $"{component.Workload}-{i}.{component.GoverningService}.{J.Namespace(mongo)}.svc:27017"));

    private static MongoDbComponent ShardedSibling(JsonObject mongo, string label) =>
        MongoDbComponent.ShardedOf(mongo).First(c => c.Selectors.ContainsKey(label));

    private static JsonObject SecretEnv(string name, string secret, string key) => new()
    {
        ["name"] = name,
        ["valueFrom"] = new JsonObject { ["secretKeyRef"] = new JsonObject { ["name"] = secret, ["key"] = key } },
    };

    /// <summary>Sixteen letters and digits, as KubeDB's generated root passwords.</summary>
    private static string RandomPassword() => RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 16);
}
