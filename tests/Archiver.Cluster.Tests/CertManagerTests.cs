using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using static Archiver.Cluster.Tests.ClusterSession;

namespace Archiver.Cluster.Tests;

/// <summary>
/// cert-manager's stand-in with the product's manifests applied as written, by kubectl: webhook-certificate.yaml's
/// issuers and certificates become Ready, the serving certificate's secret holds a key pair for the webhook Service's
/// names that the CA injected into webhook.yaml's configuration verifies, and the API server stand-in then calls that
/// webhook through the Service (failurePolicy Ignore: with no archiver pod behind it, MongoDBs are still admitted).
/// </summary>
[Trait("Category", "E2E")]
public sealed class CertManagerTests
{
    private const string Issuers = "/apis/cert-manager.io/v1/namespaces/archiver/issuers";
    private const string Certificates = "/apis/cert-manager.io/v1/namespaces/archiver/certificates";
    private const string Configuration = "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/archiver-mongodb";

    [Fact]
    public async Task The_webhook_manifests_get_a_serving_certificate_for_the_Service_that_the_injected_caBundle_verifies()
    {
        await using var session = await StartAsync();
        (await session.Kubectl.RunAsync("apply", "-f", "deploy/statefulset/rbac.yaml")).Succeeded();
        (await session.Kubectl.RunAsync("apply", "-f", "deploy/statefulset/webhook-certificate.yaml")).Succeeded();
        (await session.Kubectl.RunAsync("apply", "-f", "deploy/statefulset/webhook.yaml")).Succeeded();

        await session.WaitForAsync($"{Certificates}/archiver-webhook", c => ReadyCondition(c) == "True");
        var configuration = await session.WaitForAsync(Configuration, c => Text(c?["webhooks"]?[0]?["clientConfig"]?["caBundle"]).Length > 0);
        var secret = session.Get("/api/v1/namespaces/archiver/secrets/archiver-webhook-tls")!;
        var caBundle = Text(configuration!["webhooks"]![0]!["clientConfig"]!["caBundle"]);
        using var serving = X509Certificate2.CreateFromPem(session.SecretValue("archiver", "archiver-webhook-tls", "tls.crt"));
        using var ca = X509Certificate2.CreateFromPem(Encoding.ASCII.GetString(Convert.FromBase64String(caBundle)));
        using var key = RSA.Create();
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid("1.3.6.1.5.5.7.3.1"));
        var listed = await session.Kubectl.RunAsync("get", "certificates", "-n", "archiver");

        Assert.Equal("kubernetes.io/tls", Text(secret["type"]));
        Assert.Equal(caBundle, Text(secret["data"]?["ca.crt"]));
        Assert.True(chain.Build(serving), string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation)));
        Assert.Equal(["archiver-webhook.archiver.svc", "archiver-webhook.archiver.svc.cluster.local"],
            serving.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single().EnumerateDnsNames());
        Assert.Equal("CN=archiver-webhook-ca", ca.Subject);
        Assert.True(ca.Extensions.OfType<X509BasicConstraintsExtension>().Single().CertificateAuthority);
        Assert.Equal(256, ca.GetECDsaPublicKey()!.KeySize);
        Assert.InRange(ca.NotAfter - ca.NotBefore, TimeSpan.FromDays(3649), TimeSpan.FromDays(3651));
        Assert.InRange(serving.NotAfter - serving.NotBefore, TimeSpan.FromDays(89), TimeSpan.FromDays(91));
        Assert.Equal("archiver-webhook", Text(secret["metadata"]?["annotations"]?["cert-manager.io/certificate-name"]));
        Assert.Equal("Signing CA verified", Text(Condition(session.Get($"{Issuers}/archiver-webhook-ca"))?["message"]));
        Assert.Equal("True", ReadyCondition(session.Get($"{Issuers}/archiver-selfsigned")));
        Assert.Equal("Certificate is up to date and has not expired", Text(Condition(session.Get($"{Certificates}/archiver-webhook-ca"))?["message"]));
        Assert.Matches(@"archiver-webhook\s+True\s+archiver-webhook-tls", listed.Succeeded().Output);
        key.ImportFromPem(session.SecretValue("archiver", "archiver-webhook-tls", "tls.key"));
        Assert.Equal(serving.PublicKey.ExportSubjectPublicKeyInfo(), key.ExportSubjectPublicKeyInfo());
        Assert.Equal(2048, key.KeySize);

        // The configuration is live: the API server stand-in calls the webhook through its Service, which has no
        // ready pod, so the call fails; Ignore admits the MongoDB, Fail refuses it.
        var mongodb = """
            apiVersion: kubedb.com/v1
            kind: MongoDB
            metadata: {name: mg, namespace: archiver}
            spec: {version: "7.0.14", replicas: 3, replicaSet: {name: rs0}}
            """;
        (await session.Kubectl.RunWithInputAsync(mongodb, "apply", "--dry-run=server", "-f", "-")).Succeeded();
        (await session.Kubectl.RunAsync("patch", "mutatingwebhookconfiguration", "archiver-mongodb", "--type=json",
            "-p", """[{"op":"replace","path":"/webhooks/0/failurePolicy","value":"Fail"}]""")).Succeeded();
        var refused = await session.Kubectl.RunWithInputAsync(mongodb, "apply", "--dry-run=server", "-f", "-");

        Assert.Contains(
            "Internal error occurred: failed calling webhook \"mongodb.archiver.kubedb.com\": failed to call webhook: Post \"https://archiver-webhook.archiver.svc:443/mutate/mongodb?timeout=5s\": ",
            refused.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_changed_certificate_or_a_deleted_secret_is_issued_again_and_a_certificate_cert_manager_would_refuse_is_not_issued()
    {
        await using var session = await StartAsync();
        (await session.Kubectl.RunAsync("apply", "-f", "deploy/statefulset/rbac.yaml")).Succeeded();
        (await session.Kubectl.RunAsync("apply", "-f", "deploy/statefulset/webhook-certificate.yaml")).Succeeded();
        var first = await session.WaitForAsync($"{Certificates}/archiver-webhook", c => ReadyCondition(c) == "True");
        var firstKey = session.SecretValue("archiver", "archiver-webhook-tls", "tls.key");

        (await session.Kubectl.RunAsync("patch", "certificate", "archiver-webhook", "-n", "archiver", "--type=merge",
            "-p", """{"spec":{"dnsNames":["archiver-webhook.archiver.svc"]}}""")).Succeeded();
        var changed = await session.WaitForAsync($"{Certificates}/archiver-webhook", c => c?["status"]?["revision"]?.GetValue<int>() == 2 && ReadyCondition(c) == "True");
        using var narrowed = X509Certificate2.CreateFromPem(session.SecretValue("archiver", "archiver-webhook-tls", "tls.crt"));
        (await session.Kubectl.RunAsync("delete", "secret", "archiver-webhook-tls", "-n", "archiver")).Succeeded();
        var reissued = await session.WaitForAsync($"{Certificates}/archiver-webhook", c => c?["status"]?["revision"]?.GetValue<int>() == 3 && ReadyCondition(c) == "True");
        await session.ApplyAsync("""
            apiVersion: cert-manager.io/v1
            kind: Certificate
            metadata: {name: too-short, namespace: archiver}
            spec:
              secretName: too-short
              duration: 30m
              dnsNames: [x.archiver.svc]
              issuerRef: {name: archiver-webhook-ca}
            """);
        var refused = await session.WaitForAsync($"{Certificates}/too-short", c => ReadyCondition(c) == "False");

        Assert.Equal(1, first!["status"]?["revision"]?.GetValue<int>());
        Assert.Equal(["archiver-webhook.archiver.svc"], narrowed.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single().EnumerateDnsNames());
        Assert.NotEqual(firstKey, session.SecretValue("archiver", "archiver-webhook-tls", "tls.key"));
        Assert.NotNull(changed);
        Assert.NotNull(reissued);
        Assert.Equal("Invalid", Text(Condition(refused)?["reason"]));
        Assert.Equal("spec.duration: Invalid value: \"30m0s\": certificate duration must be greater than 1h0m0s", Text(Condition(refused)?["message"]));
        Assert.Null(session.Get("/api/v1/namespaces/archiver/secrets/too-short"));
    }

    private static JsonObject? Condition(JsonObject? item) =>
        (item?["status"]?["conditions"] as JsonArray ?? []).OfType<JsonObject>().FirstOrDefault(c => Text(c["type"]) == "Ready");

    private static string ReadyCondition(JsonObject? item) => Text(Condition(item)?["status"]);
}
