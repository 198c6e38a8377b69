namespace Archiver.Emulators.Kubernetes;

/// <summary>
/// What the emulator serves: the built-in kinds and, for every CustomResourceDefinition stored, its served versions.
/// A custom resource is servable from the moment its CRD is created and stops being servable when it is deleted,
/// as with the API server's apiextensions handler. Read under the table's lock; CRDs are few, so it is recomputed
/// on each call rather than cached.
/// </summary>
internal sealed class ApiResources(ObjectTable table)
{
    private static readonly ResourcePath CrdPath = new(CustomResourceDefinitions.Group, "v1", CustomResourceDefinitions.Plural, "", null, false);

    public List<ResourceType> All()
    {
        lock (table.Sync)
        {
            return [.. BuiltInResources.All, .. table.List(CrdPath, _ => true).SelectMany(CustomResourceDefinitions.TypesOf)];
        }
    }

    public ResourceType? Find(string group, string version, string plural) =>
        All().FirstOrDefault(t => t.Group == group && t.Version == version && t.Plural == plural);

    /// <summary>The kind stored under a group and plural, whatever version (for owner references and the collector).</summary>
    public ResourceType? FindStored(string group, string plural) => All().FirstOrDefault(t => t.Group == group && t.Plural == plural);

    /// <summary>The API groups other than the core one, each with its versions (preferred first), in serving order.</summary>
    public List<(string Group, List<string> Versions)> Groups() =>
        [.. All().Where(t => t.Group.Length > 0).GroupBy(t => t.Group).Select(g => (g.Key, g.Select(t => t.Version).Distinct().ToList()))];
}
