namespace Archiver.Messages.Tests;

/// <summary>The example manifests shipped in deploy/examples, copied beside the tests.</summary>
internal static class Examples
{
    public static string Folder => Path.Combine(AppContext.BaseDirectory, "examples");

    public static IEnumerable<object[]> Files() =>
        Directory.GetFiles(Folder, "*.yaml").Order(StringComparer.Ordinal).Select(f => new object[] { Path.GetFileName(f) });

    public static string Read(string file) => File.ReadAllText(Path.Combine(Folder, file));
}
