using Archiver.Emulators.Kubernetes;
using Archiver.Messages.Manifests;
using k8s;
using k8s.Models;

namespace Archiver.Kubernetes.Tests;

/// <summary>
/// The API server the contract runs against: a real one when ARCHIVER_TEST_KUBECONFIG names a kubeconfig (its
/// cluster needs our CRDs installed, with the status subresource), otherwise the emulator. Each test works in a
/// namespace of its own, so runs never see each other's objects.
/// </summary>
public sealed class ApiServerFixture : IAsyncLifetime
{
    public KubernetesEmulator? Emulator { get; private set; }

    public IKubernetes Client { get; private set; } = null!;

    public bool IsEmulator => Emulator is not null;

    public async Task InitializeAsync()
    {
        if (Environment.GetEnvironmentVariable("ARCHIVER_TEST_KUBECONFIG") is { Length: > 0 } kubeconfig)
        {
            Client = new k8s.Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig));
            return;
        }

        // The CRDs of deploy/statefulset/crds.yaml (typed schemas), so every object the store writes is checked against them.
        Emulator = await KubernetesEmulator.StartAsync(new KubernetesEmulatorOptions
        {
            BookmarkInterval = TimeSpan.FromMilliseconds(200),
            CustomResourceDefinitions = [.. ResourceKinds.All.Select(k => CrdManifests.Definition(k, DocComments.Empty))],
        });
        Client = new k8s.Kubernetes(new KubernetesClientConfiguration { Host = Emulator.Url.ToString() });
    }

    public async Task<string> NewNamespaceAsync(IDictionary<string, string>? labels = null)
    {
        var name = $"t-{Guid.NewGuid():N}"[..14];
        await Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = name, Labels = labels } });
        return name;
    }

    /// <summary>Cuts every open watch connection (the emulator only; a real server's connections are left alone).</summary>
    public void DropWatches() => Emulator?.DropWatches();

    public async Task DisposeAsync()
    {
        Client.Dispose();
        if (Emulator is not null) await Emulator.DisposeAsync();
    }
}
