using System.CommandLine;
using Archiver.Messages.Manifests;

namespace Archiver.Host.Cli;

/// <summary>
/// <c>archiver validate -f FILE...</c>: checks manifests offline, every error of every document, one line each
/// on standard output (<c>FILE: Kind/namespace/name: field.path: reason (line N)</c>), a summary on standard error.
/// </summary>
public static class ValidateCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var files = new Option<string[]>("--file", "-f")
        {
            Description = "Manifest files (YAML or JSON, several documents each), folders of them, or - for standard input.",
            Required = true,
            AllowMultipleArgumentsPerToken = true,
        };
        var inCluster = new Option<bool>("--in-cluster")
        {
            Description = "Also check what a node in a cluster needs, as seen from here (run it in a node's pod): a local storage's mountPath mounted and writable.",
        };
        var command = new Command("validate", """
            Check manifests without applying them: unknown fields, types, enums, cron schedules, durations,
            times, names, selectors and references. Exits 0 when every document is valid, 1 otherwise.

            Example:
              archiver validate -f deploy/examples/*.yaml
              kubectl -n archiver exec archiver-0 -i -- archiver validate --in-cluster -f - < storage.yaml
            """)
        {
            files, inCluster,
        };
        command.SetAction(async (parse, cancellation) => await RunAsync(parse.GetValue(files)!, output, error, cancellation, parse.GetValue(inCluster)));
        return command;
    }

    public static async Task<int> RunAsync(IReadOnlyList<string> paths, TextWriter output, TextWriter error, CancellationToken cancellation, bool inCluster = false)
    {
        var errorCount = 0;
        var documentCount = 0;
        var inputs = paths.SelectMany(Expand).ToList();
        foreach (var path in inputs)
        {
            var (content, readError) = await ReadAsync(path, cancellation);
            if (readError is not null)
            {
                errorCount++;
                await output.WriteLineAsync($"{path}: {readError}");
                continue;
            }

            var result = ManifestReader.Read(content!);
            if (inCluster) result = result.InCluster();
            documentCount += result.Documents.Count;
            if (result.Documents.Count == 0 && result.FileErrors.Count == 0)
            {
                errorCount++;
                await output.WriteLineAsync($"{path}: holds no manifest documents");
            }

            foreach (var problem in result.Errors)
            {
                errorCount++;
                // A YAML syntax error names its line and column as its subject already.
                var suffix = problem.Line is { } line && problem.Path.Length > 0 ? $" (line {line})" : "";
                await output.WriteLineAsync($"{path}: {problem}{suffix}");
            }
        }

        await error.WriteLineAsync(errorCount == 0
            ? $"{Count(documentCount, "document")} in {Count(inputs.Count, "file")}: valid."
            : $"{Count(errorCount, "error")} in {Count(documentCount, "document")} of {Count(inputs.Count, "file")}.");
        return errorCount == 0 ? ExitCodes.Ok : ExitCodes.Invalid;
    }

    private static string Count(int n, string noun) => n == 1 ? $"1 {noun}" : $"{n} {noun}s";

    /// <summary>A folder stands for its YAML and JSON files, as <c>kubectl apply -f DIR</c> reads it.</summary>
    internal static IEnumerable<string> Expand(string path) =>
        Directory.Exists(path)
            ? Directory.EnumerateFiles(path).Where(f => f.EndsWith(".yaml", StringComparison.Ordinal) || f.EndsWith(".yml", StringComparison.Ordinal) || f.EndsWith(".json", StringComparison.Ordinal)).Order(StringComparer.Ordinal)
            : [path];

    internal static async Task<(string? Content, string? Error)> ReadAsync(string path, CancellationToken cancellation)
    {
        try
        {
            return path == "-" ? (await Console.In.ReadToEndAsync(cancellation), null) : (await File.ReadAllTextAsync(path, cancellation), null);
        }
        catch (FileNotFoundException)
        {
            return (null, "no such file");
        }
        catch (DirectoryNotFoundException)
        {
            return (null, "no such file or folder");
        }
        catch (UnauthorizedAccessException)
        {
            return (null, "permission denied");
        }
        catch (IOException e)
        {
            return (null, $"cannot be read: {e.Message}");
        }
    }
}
