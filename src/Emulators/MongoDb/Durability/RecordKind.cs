namespace Archiver.Emulators.MongoDb.Durability;

/// <summary>What a record of a checkpoint or journal file holds (its first payload byte, before the BSON).</summary>
internal enum RecordKind : byte
{
    /// <summary>The file's header: format, version and, for a journal, the checkpoint it follows.</summary>
    Header = (byte)'H',

    /// <summary>A collection's catalog entry: database, name, UUID, options, index specs.</summary>
    Collection = (byte)'C',

    /// <summary>A document of the collection named by the last <see cref="Collection"/> record.</summary>
    Document = (byte)'D',

    /// <summary>An oplog entry, exactly as <c>local.oplog.rs</c> holds it.</summary>
    OplogEntry = (byte)'O',

    /// <summary>A write to the <c>local</c> database, which the oplog never records: <c>{op, ns, ui, o, o2}</c>.</summary>
    Unlogged = (byte)'L',

    /// <summary>A change of the oplog's cap (<c>replSetResizeOplog</c>): <c>{maxBytes}</c>.</summary>
    OplogSize = (byte)'S',

    /// <summary>The last record of a complete checkpoint: <c>{records}</c>, how many came before it.</summary>
    End = (byte)'E',
}
