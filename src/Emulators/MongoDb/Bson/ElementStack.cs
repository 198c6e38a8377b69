using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Bson;

/// <summary>
/// The elements of the documents <see cref="BsonDecoder"/> is in the middle of, innermost on top: one array per
/// thread, grown as deep or wide documents need and reused for every document after, so decoding allocates only each
/// document's own exact array. Popping clears the slots so no decoded value is kept alive by the scratch.
/// </summary>
internal sealed class ElementStack
{
    public BsonElement[] Items { get; private set; } = new BsonElement[64];

    public int Top { get; private set; }

    public void Push(BsonElement element)
    {
        if (Top == Items.Length)
        {
            var grown = Items;
            Array.Resize(ref grown, Items.Length * 2);
            Items = grown;
        }

        Items[Top++] = element;
    }

    public void PopTo(int top)
    {
        Array.Clear(Items, top, Top - top);
        Top = top;
    }
}
