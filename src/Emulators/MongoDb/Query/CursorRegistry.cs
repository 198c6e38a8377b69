using System.Collections.Concurrent;

namespace Archiver.Emulators.MongoDb.Query;

/// <summary>Open cursors by id. Cursors outlive connections, as in MongoDB.</summary>
internal sealed class CursorRegistry
{
    private readonly ConcurrentDictionary<long, ServerCursor> _cursors = new();

    public long Register(ServerCursor cursor)
    {
        while (true)
        {
            var id = Random.Shared.NextInt64(1, long.MaxValue);
            if (_cursors.TryAdd(id, cursor))
            {
                cursor.Id = id;
                return id;
            }
        }
    }

    public ServerCursor? Find(long id) => _cursors.TryGetValue(id, out var cursor) ? cursor : null;

    public bool Remove(long id) => _cursors.TryRemove(id, out _);

    public void KillAll() => _cursors.Clear();
}
