namespace Archiver.Emulators.Cluster.Kubelet;

/// <summary>What kind of container an image makes here.</summary>
internal enum ImageKind
{
    /// <summary>An image the stand-in cannot run: the container waits with <c>ErrImagePull</c>.</summary>
    Unknown,

    /// <summary>The archiver's image: <c>dotnet archiver.dll</c>, the product as built.</summary>
    Archiver,

    /// <summary>MongoDB's image: a member of its KubeDB database's emulated replica set.</summary>
    Mongo,
}

/// <summary>
/// Images by repository (the name without tag or digest): no registry is reachable and no image can be unpacked here, so
/// only the images the stand-in knows how to stand in for run.
/// </summary>
internal sealed class ImageCatalog(IReadOnlyList<string> archiver, IReadOnlyList<string> mongo)
{
    public ImageKind KindOf(string image)
    {
        var repository = Repository(image);
        if (archiver.Any(r => Repository(r) == repository)) return ImageKind.Archiver;
        if (mongo.Any(r => Repository(r) == repository)) return ImageKind.Mongo;
        return ImageKind.Unknown;
    }

    /// <summary><c>ghcr.io/kubedb/archiver:v1</c> → <c>ghcr.io/kubedb/archiver</c>; Docker Hub's short names spelled out.</summary>
    public static string Repository(string image)
    {
        var name = image.Split('@')[0];
        var colon = name.LastIndexOf(':');
        if (colon > name.LastIndexOf('/')) name = name[..colon];
        if (!name.Contains('/', StringComparison.Ordinal)) name = "docker.io/library/" + name;
        else if (!name.Split('/')[0].Contains('.', StringComparison.Ordinal) && !name.StartsWith("localhost", StringComparison.Ordinal)) name = "docker.io/" + name;
        return name;
    }
}
