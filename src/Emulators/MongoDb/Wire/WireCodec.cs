using System.Buffers.Binary;
using System.Text;
using Archiver.Emulators.MongoDb.Bson;
using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Wire;

/// <summary>
/// Reads and writes the MongoDB wire protocol: OP_MSG (kind-0 body and kind-1 document sequences, optional
/// checksum), OP_QUERY for the legacy first handshake and OP_REPLY to answer it. Little-endian throughout.
/// </summary>
internal static class WireCodec
{
    public const int OpReply = 1;
    public const int OpQuery = 2004;
    public const int OpCompressed = 2012;
    public const int OpMsg = 2013;

    public const uint ChecksumPresent = 1;
    public const uint MoreToCome = 2;

    private const int HeaderSize = 16;
    private const int MaxMessageSize = 48_000_000 + (16 * 1024 * 1024);

    /// <summary>Null when the peer closed the connection between messages.</summary>
    public static async Task<WireMessage?> ReadAsync(Stream stream, CancellationToken cancellationToken)
    {
        var header = new byte[HeaderSize];
        var read = await stream.ReadAtLeastAsync(header, HeaderSize, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        if (read < HeaderSize)
        {
            return null;
        }

        var length = BinaryPrimitives.ReadInt32LittleEndian(header);
        if (length < HeaderSize || length > MaxMessageSize)
        {
            throw new InvalidDataException($"invalid message length {length}");
        }

        var body = new byte[length - HeaderSize];
        await stream.ReadExactlyAsync(body, cancellationToken).ConfigureAwait(false);
        return new WireMessage(
            BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(4)),
            BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(8)),
            BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(12)),
            body);
    }

    /// <summary>The command of an OP_MSG, with each kind-1 sequence added to the body as an array field.</summary>
    public static (uint Flags, BsonDocument Command) ParseMsg(byte[] body)
    {
        var flags = BinaryPrimitives.ReadUInt32LittleEndian(body);
        var end = body.Length - ((flags & ChecksumPresent) != 0 ? 4 : 0);
        var position = 4;
        BsonDocument? command = null;
        var sequences = new List<(string Identifier, BsonArray Documents)>();
        while (position < end)
        {
            var kind = body[position++];
            var size = BinaryPrimitives.ReadInt32LittleEndian(body.AsSpan(position));
            if (kind == 0)
            {
                command = BsonIdentity.Decode(body, position, size);
                position += size;
            }
            else if (kind == 1)
            {
                var sectionEnd = position + size;
                position += 4;
                var identifier = ReadCString(body, ref position);
                var documents = new BsonArray();
                while (position < sectionEnd)
                {
                    var docSize = BinaryPrimitives.ReadInt32LittleEndian(body.AsSpan(position));
                    documents.Add(BsonIdentity.Decode(body, position, docSize));
                    position += docSize;
                }

                sequences.Add((identifier, documents));
            }
            else
            {
                throw new InvalidDataException($"unknown OP_MSG section kind {kind}");
            }
        }

        command ??= [];
        foreach (var (identifier, documents) in sequences)
        {
            command[identifier] = documents;
        }

        return (flags, command);
    }

    /// <summary>The namespace and query of an OP_QUERY (its <c>$query</c> wrapper removed).</summary>
    public static (string FullCollectionName, BsonDocument Query) ParseQuery(byte[] body)
    {
        var position = 4;
        var name = ReadCString(body, ref position);
        position += 8;
        var size = BinaryPrimitives.ReadInt32LittleEndian(body.AsSpan(position));
        var query = BsonIdentity.Decode(body, position, size);
        if (query.TryGetValue("$query", out var inner) && inner is BsonDocument wrapped)
        {
            query = wrapped;
        }

        return (name, query);
    }

    public static byte[] EncodeMsg(int requestId, int responseTo, BsonDocument document)
    {
        var bson = document.ToBson();
        var message = new byte[HeaderSize + 4 + 1 + bson.Length];
        WriteHeader(message, requestId, responseTo, OpMsg);
        message[HeaderSize + 4] = 0;
        bson.CopyTo(message, HeaderSize + 5);
        return message;
    }

    public static byte[] EncodeReply(int requestId, int responseTo, BsonDocument document)
    {
        var bson = document.ToBson();
        var message = new byte[HeaderSize + 20 + bson.Length];
        WriteHeader(message, requestId, responseTo, OpReply);
        BinaryPrimitives.WriteInt32LittleEndian(message.AsSpan(HeaderSize + 16), 1);
        bson.CopyTo(message, HeaderSize + 20);
        return message;
    }

    private static void WriteHeader(byte[] message, int requestId, int responseTo, int opCode)
    {
        BinaryPrimitives.WriteInt32LittleEndian(message, message.Length);
        BinaryPrimitives.WriteInt32LittleEndian(message.AsSpan(4), requestId);
        BinaryPrimitives.WriteInt32LittleEndian(message.AsSpan(8), responseTo);
        BinaryPrimitives.WriteInt32LittleEndian(message.AsSpan(12), opCode);
    }

    private static string ReadCString(byte[] buffer, ref int position)
    {
        var end = Array.IndexOf(buffer, (byte)0, position);
        var text = Encoding.UTF8.GetString(buffer, position, end - position);
        position = end + 1;
        return text;
    }
}
