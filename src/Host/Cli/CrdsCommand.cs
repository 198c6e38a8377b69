using System.CommandLine;
using Archiver.Messages.Manifests;

namespace Archiver.Host.Cli;

/// <summary>
/// <c>archiver crds</c>: prints deploy/statefulset/crds.yaml as the resource types define it (<see cref="CrdManifests"/>),
/// with the descriptions of the types' doc comments, read from the documentation file built beside Archiver.Messages.
/// </summary>
public static class CrdsCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var command = new Command("crds", """
            Print the CustomResourceDefinitions of every kind Archiver reads and writes (structural schemas made from
            its resource types, with their descriptions), as deploy/statefulset/crds.yaml holds them.

            Example:
              archiver crds > deploy/statefulset/crds.yaml
            """);
        command.SetAction(async (_, cancellation) =>
        {
            if (Documentation() is not { } docs)
            {
                await error.WriteLineAsync($"archiver: {DocumentationPath} is missing: the descriptions come from it (build Archiver.Messages with its documentation file)");
                return ExitCodes.Failed;
            }

            await output.WriteAsync(CrdManifests.Yaml(docs).AsMemory(), cancellation);
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>Archiver.Messages' documentation file, which the build copies beside its assembly.</summary>
    public static string DocumentationPath => Path.ChangeExtension(typeof(CrdManifests).Assembly.Location, ".xml");

    public static DocComments? Documentation() =>
        File.Exists(DocumentationPath) ? DocComments.Parse(File.ReadAllText(DocumentationPath)) : null;
}
