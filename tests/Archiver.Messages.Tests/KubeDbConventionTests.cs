using Archiver.Messages.Manifests;
using MongoDBResource = Archiver.Messages.Resources.MongoDB;

namespace Archiver.Messages.Tests;

/// <summary>The names KubeDB's conventions give a MongoDB resource's secrets, read from the fields KubeDB owns.</summary>
public sealed class KubeDbConventionTests
{
    [Fact]
    public void A_database_without_tls_or_with_ssl_disabled_has_no_client_certificate()
    {
        Assert.Null(Read("spec: {replicaSet: {name: rs0}}").TlsClientSecretName());
        Assert.Null(Read("spec: {sslMode: disabled, tls: {issuerRef: {name: ca}}}").TlsClientSecretName());
        // KubeDB refuses sslMode without tls.issuerRef; without tls there is nothing to connect with.
        Assert.Null(Read("spec: {sslMode: requireSSL}").TlsClientSecretName());
    }

    [Theory]
    [InlineData("requireSSL")]
    [InlineData("preferSSL")]
    [InlineData("allowSSL")]
    public void A_tls_database_uses_kubedbs_client_certificate_secret(string mode) =>
        Assert.Equal("mg-rs-client-cert", Read($"spec: {{sslMode: {mode}, tls: {{issuerRef: {{name: ca}}}}}}").TlsClientSecretName());

    [Fact]
    public void The_client_certificate_named_in_spec_tls_wins()
    {
        var db = Read("""
            spec:
              sslMode: requireSSL
              tls:
                issuerRef: {name: ca}
                certificates:
                  - {alias: server, secretName: mine-server}
                  - {alias: client, secretName: mine-client}
            """);
        Assert.Equal("mine-client", db.TlsClientSecretName());
        Assert.Equal("mg-rs-client-cert", Read("spec: {sslMode: requireSSL, tls: {certificates: [{alias: server, secretName: x}]}}").TlsClientSecretName());
    }

    private static MongoDBResource Read(string spec) =>
        Assert.IsType<MongoDBResource>(Assert.Single(ManifestReader.Read($$"""
            apiVersion: kubedb.com/v1alpha2
            kind: MongoDB
            metadata: {name: mg-rs, namespace: demo}
            {{spec}}
            """).Resources));
}
