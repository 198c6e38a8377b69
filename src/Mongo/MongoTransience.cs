using MongoDB.Driver;

namespace Archiver.Mongo;

/// <summary>
/// Errors that say the server is away for a while, not that the work is wrong: no connection, no server selected in
/// time, or a member stepping down, shutting down or recovering. The codes are those MongoDB's drivers retry on
/// (the "Retryable Writes" specification's list, in the mongodb/specifications repository): NotWritablePrimary
/// (10107), InterruptedAtShutdown (11600), InterruptedDueToReplStateChange (11602), NotPrimaryNoSecondaryOk (13435),
/// NotPrimaryOrSecondary (13436), PrimarySteppedDown (189), ShutdownInProgress (91), HostUnreachable (6),
/// HostNotFound (7), NetworkTimeout (89), SocketException (9001).
/// </summary>
public static class MongoTransience
{
    public static bool IsTransient(Exception e) => e switch
    {
        MongoConnectionException or TimeoutException or System.Net.Sockets.SocketException => true,
        MongoCommandException { Code: 6 or 7 or 89 or 91 or 189 or 9001 or 10107 or 11600 or 11602 or 13435 or 13436 } => true,
        MongoNotPrimaryException or MongoNodeIsRecoveringException => true,
        { InnerException: { } inner } => IsTransient(inner),
        _ => false,
    };
}
