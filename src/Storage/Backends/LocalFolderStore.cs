namespace Archiver.Storage.Backends;

/// <summary>
/// A folder on a local disk or mounted volume. Objects are written under a hidden incoming folder, flushed
/// to disk, then renamed into place: a rename within one file system is atomic, so a reader (or a crash) never
/// sees a half-written object.
/// </summary>
public sealed partial class LocalFolderStore : IObjectStore
{
    private const string IncomingFolder = ".incoming";
    private readonly string _root;
    private readonly string _incoming;

    public LocalFolderStore(string root)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        _root = Path.GetFullPath(root);
        _incoming = Path.Combine(_root, IncomingFolder);
        Directory.CreateDirectory(_incoming);
    }

    public string Root => _root;

    public Task PutAsync(string key, Stream content, CancellationToken cancellationToken = default) =>
        WriteAsync(key, content, overwrite: true, cancellationToken);

    public Task<bool> PutIfAbsentAsync(string key, Stream content, CancellationToken cancellationToken = default) =>
        WriteAsync(key, content, overwrite: false, cancellationToken);

    public Task<Stream> GetAsync(string key, CancellationToken cancellationToken = default)
    {
        ObjectKey.Validate(key);
        try
        {
            Stream stream = new FileStream(
                PathOf(key),
                FileMode.Open,
                FileAccess.Read,
                FileShare.Read | FileShare.Delete,
                bufferSize: 1 << 16,
                FileOptions.Asynchronous | FileOptions.SequentialScan);
            return Task.FromResult(stream);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ObjectNotFoundException(key, e);
        }
    }

    public Task DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        ObjectKey.Validate(key);
        var path = PathOf(key);
        try
        {
            File.Delete(path);
        }
        catch (DirectoryNotFoundException)
        {
            return Task.CompletedTask;
        }

        RemoveEmptyFolders(Path.GetDirectoryName(path));
        return Task.CompletedTask;
    }

    private async Task<bool> WriteAsync(string key, Stream content, bool overwrite, CancellationToken cancellationToken)
    {
        ObjectKey.Validate(key);
        ArgumentNullException.ThrowIfNull(content);
        var target = PathOf(key);
        if (!overwrite && File.Exists(target))
        {
            return false;
        }

        var temporary = Path.Combine(_incoming, $"{Guid.NewGuid():N}.tmp");
        try
        {
            await using (var file = new FileStream(
                temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
            {
                await content.CopyToAsync(file, cancellationToken);
                await file.FlushAsync(cancellationToken);
                file.Flush(flushToDisk: true);
            }

            for (var attempt = 1; ; attempt++)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                try
                {
                    // Without overwrite .NET links then unlinks on Unix, which fails atomically if the target exists.
                    File.Move(temporary, target, overwrite);
                    return true;
                }
                catch (DirectoryNotFoundException) when (attempt < 3)
                {
                    // A concurrent delete removed the folder it had just emptied; create it again.
                }
                catch (IOException) when (!overwrite && File.Exists(target))
                {
                    return false;
                }
            }
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    private string PathOf(string key) => Path.Combine(_root, key.Replace('/', Path.DirectorySeparatorChar));

    private void RemoveEmptyFolders(string? folder)
    {
        // Tidy up so a wiped prefix leaves no folders behind; a concurrent writer may refill one, which is fine.
        while (folder is not null && folder.Length > _root.Length && Directory.Exists(folder))
        {
            try
            {
                if (Directory.EnumerateFileSystemEntries(folder).Any())
                {
                    return;
                }

                Directory.Delete(folder);
            }
            catch (IOException)
            {
                return;
            }

            folder = Path.GetDirectoryName(folder);
        }
    }
}
