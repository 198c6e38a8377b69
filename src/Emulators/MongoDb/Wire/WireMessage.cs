namespace Archiver.Emulators.MongoDb.Wire;

/// <summary>One wire-protocol message: the 16-byte header's fields and the bytes after it.</summary>
internal sealed record WireMessage(int RequestId, int ResponseTo, int OpCode, byte[] Body);
