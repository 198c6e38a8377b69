namespace Archiver.Host.Tests;

public sealed class ValidateCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("archiver-validate-").FullName;

    private static string ExamplesFolder => Path.Combine(AppContext.BaseDirectory, "examples");

    [Fact]
    public async Task Every_example_manifest_is_valid()
    {
        var files = Directory.GetFiles(ExamplesFolder, "*.yaml");
        var run = await CliRun.RunAsync(["validate", "-f", .. files]);
        Assert.Equal(0, run.ExitCode);
        Assert.Empty(run.Output);
        Assert.Contains($"in {files.Length} files: valid.", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_folder_stands_for_its_manifests()
    {
        var run = await CliRun.RunAsync("validate", "-f", ExamplesFolder);
        Assert.Equal(0, run.ExitCode);
    }

    [Fact]
    public async Task In_cluster_a_local_storage_is_checked_against_the_folders_mounted_here()
    {
        var mounted = Directory.CreateDirectory(Path.Combine(_folder, "mounted")).FullName;
        var absent = Path.Combine(_folder, "absent");
        string Storage(string path) => Write($"{Path.GetFileName(path)}.yaml", $"apiVersion: storage.kubestash.com/v1alpha1\nkind: BackupStorage\nmetadata: {{name: s, namespace: stash}}\nspec: {{storage: {{provider: local, local: {{mountPath: {path}, hostPath: {{path: {path}}}}}}}}}\n");

        var offline = await CliRun.RunAsync("validate", "-f", Storage(absent));
        var notMounted = await CliRun.RunAsync("validate", "--in-cluster", "-f", Storage(absent));
        var here = await CliRun.RunAsync("validate", "--in-cluster", "-f", Storage(mounted));

        Assert.Equal(0, offline.ExitCode);
        Assert.Equal(1, notMounted.ExitCode);
        Assert.StartsWith($"{_folder}/absent.yaml: BackupStorage/stash/s: spec.storage.local.mountPath: {absent} is not a folder mounted here (no such folder).", Assert.Single(notMounted.OutputLines), StringComparison.Ordinal);
        Assert.Equal(0, here.ExitCode);
    }

    [Fact]
    public async Task Three_mistakes_print_three_lines_naming_file_object_field_and_reason()
    {
        var file = Write("bad.yaml", """
            apiVersion: archiver.kubedb.com/v1alpha1
            kind: MongoDBArchiver
            metadata: {name: a, namespace: kubedb}
            spec:
              retentionPolcy: {name: p}
              fullBackup:
                driver: Logical
                scheduler: {schedule: "0 25 * * *"}
              backupStorage: {ref: {name: s}}
              deletionPolicy: Keep
            """);
        var run = await CliRun.RunAsync("validate", "-f", file);
        Assert.Equal(1, run.ExitCode);
        Assert.Equal(
        [
            $"{file}: MongoDBArchiver/kubedb/a: spec.retentionPolcy: unknown field (did you mean \"retentionPolicy\"?) (line 5)",
            $"{file}: MongoDBArchiver/kubedb/a: spec.fullBackup.scheduler.schedule: is not a valid cron schedule: Hours: Value must be a number between 0 and 23 (all inclusive): \"0 25 * * *\" (line 8)",
            $"{file}: MongoDBArchiver/kubedb/a: spec.deletionPolicy: must be one of Delete, WipeOut, DoNotDelete, not \"Keep\" (line 10)",
        ], run.OutputLines);
        Assert.Contains("3 errors in 1 document of 1 file.", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Errors_in_several_files_are_all_reported_and_valid_files_add_none()
    {
        var good = Path.Combine(ExamplesFolder, "mongodbopsrequest.yaml");
        var bad = Write("ops.yaml", "apiVersion: ops.kubedb.com/v1alpha1\nkind: MongoDBOpsRequest\nmetadata: {name: o, namespace: demo}\nspec: {type: Backup, databaseRef: {name: db}, archiver: {operation: Enable, ref: {name: a}}}\n");
        var run = await CliRun.RunAsync("validate", "-f", good, bad);
        Assert.Equal(1, run.ExitCode);
        Assert.Equal([$"{bad}: MongoDBOpsRequest/demo/o: spec.archiver.operation: must be one of ConfigureArchiver, DisableArchiver, not \"Enable\" (line 4)"], run.OutputLines);
    }

    [Fact]
    public async Task A_file_that_is_not_yaml_gets_a_clear_line_not_a_stack_trace()
    {
        var file = Write("broken.yaml", "spec: {a: [1, 2}\n");
        var run = await CliRun.RunAsync("validate", "-f", file);
        Assert.Equal(1, run.ExitCode);
        Assert.Equal([$"{file}: line 1, column 16: not valid YAML or JSON: While parsing a flow sequence, did not find expected ',' or ']'."], run.OutputLines);
    }

    [Fact]
    public async Task An_unknown_kind_is_named_with_the_kinds_archiver_reads()
    {
        var file = Write("pg.yaml", "apiVersion: kubedb.com/v1alpha2\nkind: Postgres\nmetadata: {name: p}\n");
        var run = await CliRun.RunAsync("validate", "-f", file);
        Assert.Equal(1, run.ExitCode);
        Assert.StartsWith($"{file}: document 1 (Postgres): kind: unknown kind \"Postgres\"; Archiver reads MongoDBArchiver (archiver.kubedb.com/v1alpha1), ", run.OutputLines.Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_file_is_reported_by_name()
    {
        var missing = Path.Combine(_folder, "absent.yaml");
        var run = await CliRun.RunAsync("validate", "-f", missing);
        Assert.Equal(1, run.ExitCode);
        Assert.Equal([$"{missing}: no such file"], run.OutputLines);
    }

    [Fact]
    public async Task An_empty_file_is_an_error_not_a_silent_success()
    {
        var file = Write("empty.yaml", "# nothing here\n");
        var run = await CliRun.RunAsync("validate", "-f", file);
        Assert.Equal(1, run.ExitCode);
        Assert.Equal([$"{file}: holds no manifest documents"], run.OutputLines);
    }

    [Fact]
    public async Task Forgetting_the_file_option_is_a_usage_error()
    {
        var run = await CliRun.RunAsync("validate");
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("Option '--file' is required.", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_shows_an_example()
    {
        var run = await CliRun.RunAsync("validate", "--help");
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("archiver validate -f deploy/examples/*.yaml", run.Output, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Write(string name, string content)
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllText(path, content);
        return path;
    }
}
