using System.CommandLine;
using Archiver.Messages.Protocol;

namespace Archiver.Host.Cli;

/// <summary>What every client command shares: <c>--node</c>, <c>--token</c>, database arguments, and failures as exit codes.</summary>
internal static class CommandRunner
{
    /// <summary>Runs <paramref name="body"/>; a <see cref="CommandFailure"/> prints <c>archiver NAME: message</c> and exits with its code.</summary>
    public static async Task<int> RunAsync(string name, TextWriter error, Func<Task<int>> body)
    {
        try
        {
            return await body();
        }
        catch (CommandFailure failure)
        {
            await error.WriteLineAsync($"archiver {name}: {failure.Message}");
            return failure.ExitCode;
        }
    }

    public static Argument<string> DatabaseArgument() => new("database") { Description = "The MongoDB resource, as NAMESPACE/NAME (or NAME with -n)." };

    public static Option<string> NamespaceOption() => new("--namespace", "-n") { Description = "The namespace of names given without one.", DefaultValueFactory = _ => "default" };

    /// <summary><c>ns/name</c>, or a bare name in <paramref name="namespace"/>; anything else is a usage error naming the argument.</summary>
    public static ResourceId ParseId(string text, string @namespace, string argument)
    {
        var parts = text.Split('/');
        var id = parts.Length switch
        {
            1 => new ResourceId(@namespace, parts[0]),
            2 => new ResourceId(parts[0], parts[1]),
            _ => default,
        };
        if (id.Name is not { Length: > 0 } || id.Namespace is not { Length: > 0 })
        {
            throw new CommandFailure(ExitCodes.Usage, $"{argument}: '{text}' is not NAMESPACE/NAME");
        }

        return id;
    }

    public static string Path(ResourceId id) => $"{Uri.EscapeDataString(id.Namespace)}/{Uri.EscapeDataString(id.Name)}";
}
