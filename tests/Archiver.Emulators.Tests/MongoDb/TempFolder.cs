namespace Archiver.Emulators.Tests.MongoDb;

/// <summary>A folder of the test's own under the temporary directory, deleted with everything in it on dispose.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"archiver-emulator-{Guid.NewGuid():N}");

    /// <summary>A sub-folder path (not created).</summary>
    public string Sub(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>
    /// Copies every file of <paramref name="source"/> into <paramref name="target"/> one by one, as a CSI driver's
    /// stand-in copies a data volume, pausing <paramref name="between"/> after each file so writes can land meanwhile.
    /// </summary>
    public static async Task CopyAsync(string source, string target, TimeSpan between = default)
    {
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(source).Order(StringComparer.Ordinal))
        {
            File.Copy(file, System.IO.Path.Combine(target, System.IO.Path.GetFileName(file)), overwrite: true);
            if (between > TimeSpan.Zero)
            {
                await Task.Delay(between);
            }
        }
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A file still open (an emulator a failed test left running): the temporary directory keeps it.
        }
    }
}
