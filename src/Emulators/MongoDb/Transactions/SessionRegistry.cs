using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Transactions;

/// <summary>Sessions by <c>lsid.id</c>. Caller holds the replica-set lock.</summary>
internal sealed class SessionRegistry
{
    private readonly Dictionary<Guid, SessionState> _sessions = [];

    public SessionState Get(BsonDocument lsid)
    {
        var id = lsid["id"].AsBsonBinaryData.ToGuid(GuidRepresentation.Standard);
        if (!_sessions.TryGetValue(id, out var session))
        {
            session = new SessionState();
            _sessions.Add(id, session);
        }

        return session;
    }

    public void End(BsonDocument lsid)
    {
        if (lsid.TryGetValue("id", out var id) && id is BsonBinaryData binary)
        {
            _sessions.Remove(binary.ToGuid(GuidRepresentation.Standard));
        }
    }

    /// <summary>Open transactions die on step-down and rollback, as in MongoDB.</summary>
    public void AbortAll()
    {
        foreach (var session in _sessions.Values)
        {
            if (session.Transaction is { Phase: TransactionPhase.Active } txn)
            {
                txn.Phase = TransactionPhase.Aborted;
            }
        }
    }
}
