using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace Archiver.Emulators.Kubernetes;

/// <summary>
/// Who a request is, from its bearer token, as the API server's token authenticators say it: the admin token is
/// <c>kubernetes-admin</c> in <c>system:masters</c> (what a kubeadm cluster's admin kubeconfig is); a service account's
/// token (issued by a test hook, as the kubelet mounts a projected one) is
/// <c>system:serviceaccount:{ns}:{name}</c> in <c>system:serviceaccounts</c> and <c>system:serviceaccounts:{ns}</c>;
/// every authenticated user is also in <c>system:authenticated</c>. No token is <c>system:anonymous</c>; an unknown one
/// is a 401.
/// </summary>
internal sealed class Authentication(string adminToken)
{
    public static readonly UserInfo Anonymous = new("system:anonymous", ["system:unauthenticated"]);
    private readonly ConcurrentDictionary<string, UserInfo> _tokens = new() { [adminToken] = new("kubernetes-admin", ["system:masters", "system:authenticated"]) };

    public UserInfo Authenticate(string? authorization)
    {
        if (string.IsNullOrEmpty(authorization)) return Anonymous;
        if (!authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) throw ApiError.Unauthorized();
        return _tokens.TryGetValue(authorization["Bearer ".Length..].Trim(), out var user) ? user : throw ApiError.Unauthorized();
    }

    public string Issue(string user, IEnumerable<string> groups)
    {
        var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        _tokens[token] = new UserInfo(user, [.. groups.Append("system:authenticated").Distinct()]);
        return token;
    }

    public string IssueServiceAccount(string @namespace, string name) =>
        Issue($"system:serviceaccount:{@namespace}:{name}", ["system:serviceaccounts", $"system:serviceaccounts:{@namespace}"]);
}

/// <summary>An authenticated user: name and groups.</summary>
public sealed record UserInfo(string Name, IReadOnlyList<string> Groups);

/// <summary>One request the authorizer allowed: who did what to which resource where (empty namespace: cluster scope).</summary>
public sealed record AccessRecord(string User, string Verb, string Group, string Resource, string Subresource, string Namespace, string Name);
