namespace Archiver.Storage.Tests.Support;

/// <summary>The folder holding Archiver.sln, found by walking up from the test binaries.</summary>
internal static class RepositoryRoot
{
    public static string Find()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Archiver.sln")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException(
            $"No folder containing Archiver.sln above '{AppContext.BaseDirectory}': run the tests from the repository.");
    }
}
