namespace Archiver.Emulators.Cluster.Api;

/// <summary>The shared caches of every kind the stand-in's controllers and kubelet watch (one list+watch per kind).</summary>
internal sealed class ClusterInformers
{
    public ClusterInformers(ApiClient api, StandInLog log)
    {
        Informer Make(Kind kind) => new(api, kind, log);
        Namespaces = Make(Kind.Namespace);
        Pods = Make(Kind.Pod);
        Services = Make(Kind.Service);
        Secrets = Make(Kind.Secret);
        ConfigMaps = Make(Kind.ConfigMap);
        ServiceAccounts = Make(Kind.ServiceAccount);
        Claims = Make(Kind.Claim);
        StatefulSets = Make(Kind.StatefulSet);
        PetSets = Make(Kind.PetSet);
        Jobs = Make(Kind.Job);
        MongoDBs = Make(Kind.MongoDB);
        All = [Namespaces, Pods, Services, Secrets, ConfigMaps, ServiceAccounts, Claims, StatefulSets, PetSets, Jobs, MongoDBs];
    }

    public Informer Namespaces { get; }

    public Informer Pods { get; }

    public Informer Services { get; }

    public Informer Secrets { get; }

    public Informer ConfigMaps { get; }

    public Informer ServiceAccounts { get; }

    public Informer Claims { get; }

    public Informer StatefulSets { get; }

    public Informer PetSets { get; }

    public Informer Jobs { get; }

    public Informer MongoDBs { get; }

    public IReadOnlyList<Informer> All { get; }
}
