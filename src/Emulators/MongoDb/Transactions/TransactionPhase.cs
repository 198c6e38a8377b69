namespace Archiver.Emulators.MongoDb.Transactions;

internal enum TransactionPhase
{
    Active,

    /// <summary>Prepared by a two-phase commit (its writes logged with <c>prepare: true</c>, not yet visible); only commit or abort may follow.</summary>
    Prepared,
    Committed,
    Aborted,
}
