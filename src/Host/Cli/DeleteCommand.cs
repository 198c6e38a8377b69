using System.CommandLine;
using Archiver.Host.Api;
using Archiver.Messages.Manifests;

namespace Archiver.Host.Cli;

/// <summary><c>archiver delete KIND NAME</c>: deletes one resource; its deletion policy decides what happens to its data.</summary>
public static class DeleteCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var kind = new Argument<string>("kind") { Description = $"The kind (singular or plural, any case): {string.Join(", ", ResourceKinds.All.Select(k => k.Kind))}." };
        var name = new Argument<string>("name") { Description = "NAMESPACE/NAME, or NAME with -n." };
        var ns = CommandRunner.NamespaceOption();
        var node = NodeClient.NodeOption();
        var token = NodeClient.TokenOption();
        var command = new Command("delete", """
            Delete a resource. An archiver acts by its deletionPolicy (Delete disables archiving of its databases;
            WipeOut also empties their repositories; DoNotDelete leaves everything), a Snapshot by its own.

            Example:
              archiver delete mongodbarchiver kubedb/archiver-demo
            """)
        {
            kind, name, ns, node, token,
        };
        command.SetAction((parse, cancellation) => CommandRunner.RunAsync("delete", error, async () =>
        {
            var found = GetCommand.FindKind(parse.GetValue(kind)!);
            var id = CommandRunner.ParseId(parse.GetValue(name)!, parse.GetValue(ns)!, "name");
            using var client = NodeClient.From(parse, node, token);
            await client.DeleteAsync<ApplyResult>($"api/v1/resources/{found.Plural}/{CommandRunner.Path(id)}", cancellation);
            await output.WriteLineAsync($"{found.Kind.ToLowerInvariant()}/{id} deleted");
            return ExitCodes.Ok;
        }));
        return command;
    }
}
