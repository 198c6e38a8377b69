using MongoDB.Bson;
using MongoDB.Bson.Serialization.Attributes;

namespace Archiver.Emulators.MongoDb.Bson;

/// <summary>
/// A <see cref="BsonDocument"/> that keeps its elements in one array of their exact count and finds names by
/// scanning it. The driver's <see cref="BsonDocument"/> holds a list (grown by doubling) and, from its eighth
/// element on, a name→index dictionary as well (mongo-csharp-driver <c>src/MongoDB.Bson/ObjectModel/BsonDocument.cs</c>,
/// <c>__indexesThreshold = 8</c>): five objects and about 0.9 KiB for a 10-field document before any value. The
/// emulator keeps every stored document and every oplog entry as a tree of these, and a heap dump after a restore
/// of 10,000 + 22,600 ops showed those dictionaries alone as a third of the live heap, which the GC copies and marks
/// on every collection. A document of a few dozen fields is scanned as fast as it is hashed.
/// <para>
/// Every member of <see cref="BsonDocument"/> that reads its private list is overridden (the set
/// <see cref="RawBsonDocument"/> overrides); the rest of the base class reaches the elements only through those, so
/// this behaves as a <see cref="BsonDocument"/> everywhere: same order, same duplicate-name rules, same exceptions.
/// </para>
/// </summary>
[BsonSerializer(typeof(CompactDocumentSerializer))]
internal sealed class CompactDocument : BsonDocument
{
    private BsonElement[] _elements;
    private int _count;

    public CompactDocument() => _elements = [];

    public CompactDocument(int capacity) => _elements = capacity == 0 ? [] : new BsonElement[capacity];

    /// <summary>Takes <paramref name="elements"/> as they are (names already checked to be distinct).</summary>
    private CompactDocument(BsonElement[] elements, int count)
    {
        _elements = elements;
        _count = count;
    }

    public override int ElementCount => _count;

    /// <summary>
    /// <c>{ _id: id }</c>: what every logged write names its document by (an entry's <c>o2</c>, a delete's <c>o</c>) and
    /// what an <c>_id</c> lookup probes with, one per op; the driver's document for it is three objects and a list of four.
    /// </summary>
    public static CompactDocument IdOf(BsonValue id) => new([new BsonElement("_id", id)], 1);

    public override IEnumerable<BsonElement> Elements => new ArraySegment<BsonElement>(_elements, 0, _count);

    public override IEnumerable<string> Names => Elements.Select(e => e.Name);

    public override IEnumerable<BsonValue> Values => Elements.Select(e => e.Value);

    public override BsonValue this[int index]
    {
        get => At(index).Value;
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            _elements[Check(index)] = new BsonElement(_elements[index].Name, value);
        }
    }

    public override BsonValue this[string name]
    {
        get
        {
            ArgumentNullException.ThrowIfNull(name);
            var index = IndexOfName(name);
            return index != -1 ? _elements[index].Value : throw new KeyNotFoundException($"Element '{name}' not found.");
        }
        set
        {
            ArgumentNullException.ThrowIfNull(name);
            ArgumentNullException.ThrowIfNull(value);
            var index = IndexOfName(name);
            if (index != -1)
            {
                _elements[index] = new BsonElement(name, value);
            }
            else
            {
                Add(new BsonElement(name, value));
            }
        }
    }

    /// <summary>
    /// A document over <paramref name="elements"/>' first <paramref name="count"/> entries (the array is taken, not
    /// copied), or null if two of them share a name: the caller then builds it as the driver would, which refuses it.
    /// </summary>
    public static CompactDocument? TryCreate(BsonElement[] elements, int count)
    {
        for (var i = 1; i < count; i++)
        {
            var name = elements[i].Name;
            for (var j = 0; j < i; j++)
            {
                if (string.Equals(elements[j].Name, name, StringComparison.Ordinal))
                {
                    return null;
                }
            }
        }

        return new CompactDocument(elements, count);
    }

    public override BsonDocument Add(BsonElement element)
    {
        var isDuplicate = IndexOfName(element.Name) != -1;
        if (isDuplicate && !AllowDuplicateNames)
        {
            throw new InvalidOperationException($"Duplicate element name '{element.Name}'.");
        }

        Grow();
        _elements[_count++] = element;
        return this;
    }

    public override void Clear()
    {
        Array.Clear(_elements, 0, _count);
        _count = 0;
    }

    // Element by element through Add, as the base class clones: a document given a duplicate name by SetElement(index)
    // cannot be cloned unless duplicates are allowed, there as here.
    public override BsonValue Clone()
    {
        var clone = new CompactDocument(_count) { AllowDuplicateNames = AllowDuplicateNames };
        for (var i = 0; i < _count; i++)
        {
            clone.Add(_elements[i].Clone());
        }

        return clone;
    }

    public override BsonValue DeepClone()
    {
        var clone = new CompactDocument(_count) { AllowDuplicateNames = AllowDuplicateNames };
        for (var i = 0; i < _count; i++)
        {
            clone.Add(_elements[i].DeepClone());
        }

        return clone;
    }

    public override bool ContainsValue(BsonValue value)
    {
        ArgumentNullException.ThrowIfNull(value);
        for (var i = 0; i < _count; i++)
        {
            if (_elements[i].Value == value)
            {
                return true;
            }
        }

        return false;
    }

    public override BsonElement GetElement(int index) => At(index);

    public override BsonElement GetElement(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var index = IndexOfName(name);
        return index != -1 ? _elements[index] : throw new KeyNotFoundException($"Element '{name}' not found.");
    }

    public override IEnumerator<BsonElement> GetEnumerator()
    {
        for (var i = 0; i < _count; i++)
        {
            yield return _elements[i];
        }
    }

    public override BsonValue GetValue(string name, BsonValue defaultValue)
    {
        ArgumentNullException.ThrowIfNull(name);
        var index = IndexOfName(name);
        return index != -1 ? _elements[index].Value : defaultValue;
    }

    public override int IndexOfName(string name)
    {
        for (var i = 0; i < _count; i++)
        {
            if (string.Equals(_elements[i].Name, name, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }

    public override void InsertAt(int index, BsonElement element)
    {
        var isDuplicate = IndexOfName(element.Name) != -1;
        if (isDuplicate && !AllowDuplicateNames)
        {
            throw new InvalidOperationException($"Duplicate element name '{element.Name}' not allowed.");
        }

        if ((uint)index > (uint)_count)
        {
            // List<T>.Insert's own words, which the base class lets through.
            throw new ArgumentOutOfRangeException(nameof(index), "Index must be within the bounds of the List.");
        }

        Grow();
        Array.Copy(_elements, index, _elements, index + 1, _count - index);
        _elements[index] = element;
        _count++;
    }

    public override void Remove(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (AllowDuplicateNames)
        {
            for (var i = _count - 1; i >= 0; i--)
            {
                if (string.Equals(_elements[i].Name, name, StringComparison.Ordinal))
                {
                    RemoveAt(i);
                }
            }

            return;
        }

        var index = IndexOfName(name);
        if (index != -1)
        {
            RemoveAt(index);
        }
    }

    public override void RemoveAt(int index)
    {
        Check(index);
        Array.Copy(_elements, index + 1, _elements, index, _count - index - 1);
        _elements[--_count] = default;
    }

    public override void RemoveElement(BsonElement element)
    {
        // As List<T>.Remove: the first element equal to it (name and value).
        for (var i = 0; i < _count; i++)
        {
            if (_elements[i].Equals(element))
            {
                RemoveAt(i);
                return;
            }
        }
    }

    public override BsonDocument SetElement(int index, BsonElement element)
    {
        _elements[Check(index)] = element;
        return this;
    }

    public override BsonDocument SetElement(BsonElement element)
    {
        var index = IndexOfName(element.Name);
        if (index != -1)
        {
            _elements[index] = element;
        }
        else
        {
            Add(element);
        }

        return this;
    }

    public override bool TryGetElement(string name, out BsonElement value)
    {
        ArgumentNullException.ThrowIfNull(name);
        var index = IndexOfName(name);
        value = index != -1 ? _elements[index] : default;
        return index != -1;
    }

    public override bool TryGetValue(string name, out BsonValue value)
    {
        ArgumentNullException.ThrowIfNull(name);
        var index = IndexOfName(name);
        value = index != -1 ? _elements[index].Value : null!;
        return index != -1;
    }

    // The base class documents and its equality stay as they are: BsonDocument.Equals and GetHashCode read Elements.
    public override bool Equals(object? obj) => base.Equals(obj);

    public override int GetHashCode() => base.GetHashCode();

    private BsonElement At(int index) => _elements[Check(index)];

    /// <summary>As List&lt;T&gt;'s indexer: an index outside the elements is ArgumentOutOfRange, whatever the array's length.</summary>
    private int Check(int index)
    {
        if ((uint)index >= (uint)_count)
        {
            throw new ArgumentOutOfRangeException(nameof(index), "Index was out of range. Must be non-negative and less than the size of the collection.");
        }

        return index;
    }

    private void Grow()
    {
        if (_count == _elements.Length)
        {
            Array.Resize(ref _elements, _count == 0 ? 4 : _count * 2);
        }
    }
}
