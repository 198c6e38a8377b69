using System.Text.Json.Nodes;
using Archiver.Host.Cli;
using Archiver.Messages.Manifests;

namespace Archiver.Host.Tests;

/// <summary>
/// deploy/statefulset/crds.yaml is what <c>archiver crds</c> prints from the resource types: a change to a type, a doc
/// comment, an enum alias or a validation pattern that is not carried into the file fails here, with how to regenerate it.
/// </summary>
public sealed class CrdGenerationTests
{
    [Fact]
    public async Task Crds_yaml_is_what_archiver_crds_generates_from_the_resource_types()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exit = await ArchiverCli.RunAsync(["crds"], output, error);

        Assert.True(exit == ExitCodes.Ok, error.ToString());
        var path = Path.Combine(RepositoryRoot(), "deploy", "statefulset", "crds.yaml");
        var written = (await File.ReadAllTextAsync(path)).ReplaceLineEndings("\n");
        var generated = output.ToString();
        if (written == generated) return;
        var lines = (Written: written.Split('\n'), Generated: generated.Split('\n'));
        var first = Enumerable.Range(0, Math.Min(lines.Written.Length, lines.Generated.Length)).FirstOrDefault(i => lines.Written[i] != lines.Generated[i], Math.Min(lines.Written.Length, lines.Generated.Length));
        Assert.Fail($"""
            deploy/statefulset/crds.yaml differs from what the resource types generate, first at line {first + 1}:
              file:      {lines.Written.ElementAtOrDefault(first)}
              generated: {lines.Generated.ElementAtOrDefault(first)}
            Regenerate it from the repository's root with
              dotnet run --project src/Host -- crds > deploy/statefulset/crds.yaml
            """);
    }

    [Fact]
    public void Descriptions_come_from_the_doc_comments()
    {
        var docs = CrdsCommand.Documentation();

        Assert.NotNull(docs);
        Assert.Equal("Five-field cron or a macro such as @hourly.", docs.Of(typeof(Messages.Resources.SchedulerOptions).GetProperty("Schedule")!));
    }

    [Fact]
    public void Every_field_of_every_CRD_has_a_description_for_kubectl_explain()
    {
        var docs = CrdsCommand.Documentation()!;
        var missing = new List<string>();
        foreach (var kind in ResourceKinds.All)
        {
            Walk(CrdSchemas.OpenApiV3Schema(kind, docs), kind.Kind, missing);
        }

        Assert.True(missing.Count == 0, $"fields without a description (write a doc comment on the C# property or its type): {string.Join(", ", missing)}");
    }

    private static void Walk(JsonObject schema, string path, List<string> missing)
    {
        foreach (var (name, child) in schema["properties"] as JsonObject ?? [])
        {
            if (child is not JsonObject field) continue;
            // The API server describes metadata itself.
            if (name != "metadata" && field["description"] is null) missing.Add($"{path}.{name}");
            Walk(field, $"{path}.{name}", missing);
        }

        if (schema["items"] is JsonObject items) Walk(items, path + "[]", missing);
        if (schema["additionalProperties"] is JsonObject values) Walk(values, path + "{}", missing);
    }

    private static string RepositoryRoot()
    {
        var folder = new DirectoryInfo(AppContext.BaseDirectory);
        while (folder is not null && !File.Exists(Path.Combine(folder.FullName, "Directory.Packages.props"))) folder = folder.Parent;
        return folder?.FullName ?? throw new DirectoryNotFoundException("the repository root (Directory.Packages.props) above the test's folder");
    }
}
