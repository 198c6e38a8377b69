using System.Text;
using Archiver.Actors.Ports;
using Archiver.Messages.Protocol;
using k8s;
using k8s.Models;

namespace Archiver.Kubernetes.Tests;

/// <summary>A node in a cluster reads the secrets resources name from the API server (the emulator, or a real one).</summary>
public sealed class KubernetesSecretsTests(ApiServerFixture server) : IClassFixture<ApiServerFixture>
{
    private readonly KubernetesSecrets _secrets = new(server.Client);

    [Fact]
    public async Task A_key_is_read_as_text_without_its_trailing_newline()
    {
        var ns = await server.NewNamespaceAsync();
        await CreateAsync(ns, "s3-credentials", ("AWS_ACCESS_KEY_ID", "AKIA-TEST\n"), ("AWS_SECRET_ACCESS_KEY", "s3cr3t"));

        Assert.Equal("AKIA-TEST", await _secrets.ReadAsync(new ResourceId(ns, "s3-credentials"), "AWS_ACCESS_KEY_ID"));
        Assert.Equal("s3cr3t", await _secrets.ReadAsync(new ResourceId(ns, "s3-credentials"), "AWS_SECRET_ACCESS_KEY"));
    }

    [Fact]
    public async Task A_missing_key_or_secret_is_named_and_no_value_is_shown()
    {
        var ns = await server.NewNamespaceAsync();
        await CreateAsync(ns, "mongo", ("uri", "mongodb://user:hunter2@db:27017"));

        var missingKey = await Assert.ThrowsAsync<SecretNotFoundException>(() => _secrets.ReadAsync(new ResourceId(ns, "mongo"), "password"));
        Assert.Contains($"secret {ns}/mongo has no key 'password'", missingKey.Message);
        Assert.DoesNotContain("hunter2", missingKey.Message);

        var missing = await Assert.ThrowsAsync<SecretNotFoundException>(() => _secrets.ReadAsync(new ResourceId(ns, "absent"), "uri"));
        Assert.Contains($"secret {ns}/absent not found", missing.Message);
    }

    [Fact]
    public async Task A_secret_changed_after_a_read_is_read_afresh()
    {
        var ns = await server.NewNamespaceAsync();
        await CreateAsync(ns, "key", ("key", "first"));
        Assert.Equal("first", await _secrets.ReadAsync(new ResourceId(ns, "key"), "key"));

        var secret = await server.Client.CoreV1.ReadNamespacedSecretAsync("key", ns);
        secret.Data["key"] = Encoding.UTF8.GetBytes("rotated");
        await server.Client.CoreV1.ReplaceNamespacedSecretAsync(secret, "key", ns);

        Assert.Equal("rotated", await _secrets.ReadAsync(new ResourceId(ns, "key"), "key"));
    }

    private Task<V1Secret> CreateAsync(string ns, string name, params (string Key, string Value)[] data) =>
        server.Client.CoreV1.CreateNamespacedSecretAsync(
            new V1Secret
            {
                Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns },
                Data = data.ToDictionary(d => d.Key, d => Encoding.UTF8.GetBytes(d.Value)),
            },
            ns);
}
