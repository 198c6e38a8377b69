using System.Buffers.Binary;
using System.Text;
using Archiver.Actors.Ports;
using Archiver.Messages.Protocol;
using Archiver.Storage;
using Archiver.Storage.Backends;
using Archiver.Storage.Oplog;

namespace Archiver.Actors.Tests;

/// <summary>What the StorageIndex specs archive: small insert entries, two a second, and a storage that is one store.</summary>
internal static class SampleRepository
{
    /// <summary><paramref name="count"/> inserts of <c>shop.orders</c>, two a second from <paramref name="firstSeconds"/>, walls in step with their ts.</summary>
    public static List<OplogEntry> Entries(uint firstSeconds, int count) =>
        [.. Enumerable.Range(0, count).Select(i =>
        {
            var ts = new OplogTimestamp(firstSeconds + (uint)(i / 2), (uint)(i % 2) + 1);
            var text = Encoding.UTF8.GetBytes($"{{op:'i',ns:'shop.orders',o:{{_id:{i}}}}}");
            var document = new byte[text.Length + 5];
            BinaryPrimitives.WriteInt32LittleEndian(document, document.Length);
            text.CopyTo(document, 4);
            return new OplogEntry(ts, (ts.Seconds * 1000L) + ts.Increment, document);
        })];

    /// <summary>Every storage opens as <paramref name="store"/>.</summary>
    public sealed class OneStore(IObjectStore store) : IObjectStoreProvider
    {
        public Task<IObjectStore> OpenAsync(ResourceId storage, CancellationToken cancellation = default) => Task.FromResult(store);
    }
}
