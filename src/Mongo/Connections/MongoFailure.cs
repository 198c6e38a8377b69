using System.Net;
using System.Net.Sockets;
using MongoDB.Driver;
using MongoDB.Driver.Core.Clusters;
using MongoDB.Driver.Core.Servers;

namespace Archiver.Mongo.Connections;

/// <summary>
/// A failure to read or write a replica set, said in one line a person can act on: <c>cannot reach replica set rs0 at
/// mg-rs.demo.svc:27017: connection refused</c>, where the driver says it in two kilobytes. A server-selection timeout's
/// message is the driver's whole view of the cluster, every member's heartbeat exception with its stack trace
/// (<c>Cluster.ThrowTimeoutException</c> in mongo-csharp-driver's src/MongoDB.Driver/Core/Clusters/Cluster.cs); what
/// matters in it is where the driver looked and why each member failed, which the cluster's description holds. The
/// whole exception still goes to the log, once per cause, by whoever catches it.
/// </summary>
public static class MongoFailure
{
    private const int MaxLength = 300;

    // Our own refusals name the way out, which takes more than a driver's cause; still one line, never a dump.
    private const int OwnMaxLength = 1000;

    /// <summary>
    /// <paramref name="failure"/> in one line; <paramref name="cluster"/> (the client's <c>Cluster.Description</c> when
    /// it has one) says where the driver looked and what each member answered.
    /// </summary>
    public static string Describe(Exception failure, ClusterDescription? cluster = null, string? replicaSet = null)
    {
        ArgumentNullException.ThrowIfNull(failure);
        var e = Unwrap(failure);
        var where = replicaSet is null ? "MongoDB" : $"replica set {replicaSet}";
        var servers = cluster?.Servers ?? [];
        var endpoints = servers.Count == 0 ? null : string.Join(", ", servers.Select(s => Endpoint(s.EndPoint)).Order(StringComparer.Ordinal));
        var at = endpoints is null ? "" : $" at {endpoints}";
        switch (e)
        {
            case MongoAuthenticationException auth:
                return Line($"authentication to {where}{at} failed: {FirstLine(Innermost(auth).Message)}");
            case MongoNotPrimaryException or MongoNodeIsRecoveringException:
                return Line($"{where}{at} has no primary: {FirstLine(e.Message)}");
            case MongoCommandException command:
                return Line($"{where} refused {command.Command?.Names.FirstOrDefault() ?? "a command"}: {command.ErrorMessage} ({command.CodeName}, code {command.Code})");
        }

        // Not the driver's: one of ours (a refusal that says what to do, at some length) or the runtime's, whose first line
        // is the message.
        if (e is not MongoException && !IsUnreachable(e)) return Line(FirstLine(e.Message), OwnMaxLength);
        if (!IsUnreachable(e)) return Line(FirstLine(Innermost(e).Message));

        // Each member's own reason, the first one said: the usual case is one reason for all of them (refused, no such
        // host), and a list of the same phrase three times reads worse than once.
        var reasons = servers.Select(s => s.HeartbeatException).OfType<Exception>().Select(x => Phrase(Innermost(x))).Distinct().ToList();
        if (reasons.Count == 0 && e is not TimeoutException) reasons.Add(Phrase(Innermost(e)));
        if (reasons.Count == 0 && servers.Count > 0 && servers.All(s => s.State == ServerState.Connected))
        {
            var members = string.Join(", ", servers.Select(s => $"{Endpoint(s.EndPoint)} {s.Type}").Order(StringComparer.Ordinal));
            return Line($"{where} has no primary (members: {members})");
        }

        return Line($"cannot reach {where}{at}: {(reasons.Count == 0 ? "no answer in time" : string.Join("; ", reasons))}");
    }

    /// <summary>The replica set could not be reached at all, as opposed to answering with a refusal.</summary>
    public static bool IsUnreachable(Exception failure) => Unwrap(failure) is
        MongoConnectionException or TimeoutException or SocketException or IOException or MongoConnectionPoolPausedException;

    private static Exception Unwrap(Exception e) => e is AggregateException { InnerExceptions.Count: 1 } aggregate ? Unwrap(aggregate.InnerExceptions[0]) : e;

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is { } inner) e = inner;
        return e;
    }

    /// <summary>A socket error as its lower-case phrase (<c>connection refused</c>), anything else as its first line.</summary>
    private static string Phrase(Exception e)
    {
        // A member dying with a connection open to it: the read finds the stream ended.
        if (e is EndOfStreamException) return "the server closed the connection";
        var text = FirstLine(e.Message);
        return e is SocketException && text.Length > 1 && char.IsUpper(text[0]) && char.IsLower(text[1]) ? char.ToLowerInvariant(text[0]) + text[1..] : text;
    }

    private static string Endpoint(EndPoint endpoint) => endpoint switch
    {
        DnsEndPoint dns => $"{dns.Host}:{dns.Port}",
        IPEndPoint ip => ip.ToString(),
        _ => endpoint.ToString() ?? "?",
    };

    /// <summary>A message's first line, trimmed: where an exception's message says what happened, before any detail.</summary>
    internal static string FirstLine(string text)
    {
        var end = text.IndexOfAny(['\r', '\n']);
        return (end < 0 ? text : text[..end]).Trim();
    }

    private static string Line(string text, int max = MaxLength) => text.Length <= max ? text : text[..(max - 1)] + "…";
}
