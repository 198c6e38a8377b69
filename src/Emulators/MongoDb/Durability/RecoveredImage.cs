using Archiver.Emulators.MongoDb.Oplog;

namespace Archiver.Emulators.MongoDb.Durability;

/// <summary>A member's data directory read back: its checkpoint, the journal that follows it, and the optime they reach.</summary>
internal sealed record RecoveredImage(DataDirectory Folder, CheckpointImage Checkpoint, JournalImage Journal, OpTime Position);
