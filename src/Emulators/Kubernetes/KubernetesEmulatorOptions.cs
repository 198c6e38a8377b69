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

    public TimeProvider Time { get; init; } = TimeProvider.System;
}
