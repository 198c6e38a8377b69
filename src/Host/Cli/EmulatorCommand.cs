using System.CommandLine;
using Archiver.Emulators.MongoDb;
using MongoDBResource = Archiver.Messages.Resources.MongoDB;

namespace Archiver.Host.Cli;

/// <summary><c>archiver emulator mongodb</c>: the MongoDB emulator on its own, for trying Archiver without a replica set.</summary>
public static class EmulatorCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var port = new Option<int>("--port") { Description = "Port of the first member (0: any free one).", DefaultValueFactory = _ => 27017 };
        var oplogSize = new Option<int>("--oplog-size") { Description = "Oplog size in MiB: older entries roll off past it, as on a real server.", DefaultValueFactory = _ => 256 };
        var members = new Option<int>("--members") { Description = "Replica-set members (each on the next port).", DefaultValueFactory = _ => 1 };
        var name = new Option<string>("--replica-set") { Description = "Replica-set name.", DefaultValueFactory = _ => "rs0" };
        var tlsSecret = new Option<string?>("--tls-client-secret")
        {
            Description = "Speak TLS only, with client certificates, as a KubeDB database with sslMode requireSSL; write a test CA and a client certificate into this folder as KubeDB's client-cert secret holds them (ca.crt, tls.crt, tls.key).",
        };
        var mongodb = new Command("mongodb", """
            Run the MongoDB emulator: an in-memory replica set on the real wire protocol (OP_MSG) with an oplog,
            majority commit point, sessions and transactions, for trying Archiver where no MongoDB can run. It is
            not a database: see docs/emulators.md for what it does and does not do. Ctrl+C stops it; data is lost.

            Example:
              archiver emulator mongodb --port 27017 --oplog-size 64
              archiver emulator mongodb --tls-client-secret ./archiver-data/secrets/demo/mg-rs-client-cert
            """)
        {
            port, oplogSize, members, name, tlsSecret,
        };
        mongodb.SetAction(async (parse, cancellation) =>
        {
            if (parse.GetValue(oplogSize) < 1 || parse.GetValue(members) is < 1 or > 7)
            {
                await error.WriteLineAsync("archiver emulator mongodb: --oplog-size must be at least 1 (MiB) and --members between 1 and 7");
                return ExitCodes.Usage;
            }

            MongoEmulator emulator;
            using var authority = parse.GetValue(tlsSecret) is null ? null : new TestCertificateAuthority();
            try
            {
                emulator = await MongoEmulator.StartAsync(new MongoEmulatorOptions
                {
                    Port = parse.GetValue(port),
                    Members = parse.GetValue(members),
                    ReplicaSetName = parse.GetValue(name)!,
                    OplogSizeBytes = parse.GetValue(oplogSize) * 1024L * 1024,
                    Tls = authority is null ? null : new MongoEmulatorTls(authority.IssueServer().Certificate, authority.CaCertificate),
                });
            }
            catch (System.Net.Sockets.SocketException e)
            {
                await error.WriteLineAsync($"archiver emulator mongodb: --port {parse.GetValue(port)}: {e.Message}");
                return ExitCodes.Failed;
            }

            await using (emulator)
            {
                if (authority is not null)
                {
                    var folder = Directory.CreateDirectory(parse.GetValue(tlsSecret)!).FullName;
                    var client = authority.IssueClient();
                    await File.WriteAllTextAsync(Path.Combine(folder, MongoDBResource.TlsCaKey), authority.CaPem, CancellationToken.None);
                    await File.WriteAllTextAsync(Path.Combine(folder, MongoDBResource.TlsCertificateKey), client.CertificatePem, CancellationToken.None);
                    var key = Path.Combine(folder, MongoDBResource.TlsPrivateKeyKey);
                    await File.WriteAllTextAsync(key, client.PrivateKeyPem, CancellationToken.None);
                    if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(key, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                    await output.WriteLineAsync($"TLS only; the CA and a client certificate (CN=root,O=kubedb:client) are in {folder}");
                }

                await output.WriteLineAsync($"MongoDB emulator (replica set {parse.GetValue(name)}, oplog {parse.GetValue(oplogSize)} MiB): {emulator.ConnectionString}");
                await output.WriteLineAsync("Ctrl+C stops it.");
                try
                {
                    await Task.Delay(Timeout.Infinite, cancellation);
                }
                catch (OperationCanceledException)
                {
                    // Ctrl+C: the normal way out.
                }
            }

            return ExitCodes.Ok;
        });
        return new Command("emulator", "Run a stand-in for a system Archiver talks to (for trying it out; see docs/emulators.md).") { mongodb };
    }
}
