namespace Archiver.Emulators.MongoDb.Transactions;

internal enum TransactionPhase
{
    Active,
    Committed,
    Aborted,
}
