using System.CommandLine;
using Archiver.Host.Api;
using Archiver.Messages.Manifests;

namespace Archiver.Host.Cli;

/// <summary><c>archiver apply -f FILE...</c>: creates or updates resources on the node, as <c>kubectl apply</c>.</summary>
public static class ApplyCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var files = new Option<string[]>("--file", "-f") { Description = "Manifest files or folders (YAML or JSON, several documents each), or - for standard input.", Required = true, AllowMultipleArgumentsPerToken = true };
        var ns = CommandRunner.NamespaceOption();
        var node = NodeClient.NodeOption();
        var token = NodeClient.TokenOption();
        var command = new Command("apply", """
            Create or update resources on the node. Every document is checked first (as 'archiver validate'):
            if any is invalid, nothing is applied. Fields that controllers set (spec.archiver, annotations they
            add, status) survive a re-apply.

            Example:
              archiver apply -f deploy/examples/mongodbarchiver.yaml -f my-databases/
            """)
        {
            files, ns, node, token,
        };
        command.SetAction((parse, cancellation) => CommandRunner.RunAsync("apply", error, async () =>
        {
            var inputs = parse.GetValue(files)!.SelectMany(ValidateCommand.Expand).ToList();
            var contents = new List<(string Path, string Content)>();
            var problems = 0;
            foreach (var path in inputs)
            {
                var (content, readError) = await ValidateCommand.ReadAsync(path, cancellation);
                if (readError is not null)
                {
                    problems++;
                    await error.WriteLineAsync($"archiver apply: {path}: {readError}");
                    continue;
                }

                foreach (var problem in ManifestReader.Read(content!).Errors)
                {
                    problems++;
                    var suffix = problem.Line is { } line && problem.Path.Length > 0 ? $" (line {line})" : "";
                    await error.WriteLineAsync($"archiver apply: {path}: {problem}{suffix}");
                }

                contents.Add((path, content!));
            }

            if (problems > 0)
            {
                await error.WriteLineAsync($"archiver apply: {problems} problem(s); nothing was applied");
                return ExitCodes.Invalid;
            }

            using var client = NodeClient.From(parse, node, token);
            foreach (var (_, content) in contents)
            {
                var results = await client.PostTextAsync<List<ApplyResult>>($"api/v1/apply?namespace={Uri.EscapeDataString(parse.GetValue(ns)!)}", content, cancellation);
                foreach (var result in results)
                {
                    await output.WriteLineAsync($"{result.Kind.ToLowerInvariant()}/{result.Namespace}/{result.Name} {result.Action.ToString().ToLowerInvariant()}");
                }
            }

            return ExitCodes.Ok;
        }));
        return command;
    }
}
