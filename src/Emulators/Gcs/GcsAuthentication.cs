using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Archiver.Emulators.Gcs;

/// <summary>
/// The stand-in's service accounts. Google's client authenticates a service-account key either by signing a JWT
/// itself and sending it as the bearer token ("self-signed JWT", https://google.aip.dev/auth/4111) or by exchanging
/// such a JWT at the key's <c>token_uri</c> for an access token (RFC 7523). Both are checked here against the
/// public half of keys this stand-in made, so a client must really load and use the key it is given.
/// </summary>
internal sealed class GcsAuthentication(TimeProvider time)
{
    private readonly ConcurrentDictionary<string, RSA> _keys = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _accessTokens = new(StringComparer.Ordinal);

    /// <summary>A new service account key as Google's console downloads it (the JSON KubeStash keeps in GOOGLE_SERVICE_ACCOUNT_JSON_KEY).</summary>
    public string CreateKey(string email, Uri tokenUri)
    {
        var key = RSA.Create(2048);
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20));
        _keys[id] = key;
        return new JsonObject
        {
            ["type"] = "service_account",
            ["project_id"] = "stand-in",
            ["private_key_id"] = id,
            ["private_key"] = key.ExportPkcs8PrivateKeyPem() + "\n",
            ["client_email"] = email,
            ["client_id"] = "100000000000000000000",
            ["auth_uri"] = "https://accounts.google.com/o/oauth2/auth",
            ["token_uri"] = tokenUri.ToString(),
            ["universe_domain"] = "googleapis.com",
        }.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>Whether an <c>Authorization</c> header carries a live access token or a valid self-signed JWT.</summary>
    public bool Accepts(string? authorization)
    {
        if (authorization is null || !authorization.StartsWith("Bearer ", StringComparison.Ordinal)) return false;
        var token = authorization["Bearer ".Length..].Trim();
        return _accessTokens.TryGetValue(token, out var expiry) ? expiry > time.GetUtcNow() : IsValidJwt(token);
    }

    /// <summary>The token endpoint's answer to a JWT-bearer grant: an access token, or null when the assertion is not valid.</summary>
    public JsonObject? Exchange(string? grantType, string? assertion)
    {
        if (grantType != "urn:ietf:params:oauth:grant-type:jwt-bearer" || assertion is null || !IsValidJwt(assertion)) return null;
        var token = "ya29.stand-in-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        _accessTokens[token] = time.GetUtcNow().AddHours(1);
        return new JsonObject { ["access_token"] = token, ["expires_in"] = 3600, ["token_type"] = "Bearer" };
    }

    private bool IsValidJwt(string jwt)
    {
        var parts = jwt.Split('.');
        if (parts.Length != 3) return false;
        try
        {
            var header = JsonNode.Parse(Base64Url(parts[0]))!.AsObject();
            var claims = JsonNode.Parse(Base64Url(parts[1]))!.AsObject();
            if (header["alg"]?.GetValue<string>() != "RS256" || header["kid"]?.GetValue<string>() is not { } kid || !_keys.TryGetValue(kid, out var key)) return false;
            if (!key.VerifyData(Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), Base64Url(parts[2]), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)) return false;
            var now = time.GetUtcNow().ToUnixTimeSeconds();
            return claims["exp"]?.GetValue<long>() is { } exp && exp > now && claims["iat"]?.GetValue<long>() is { } iat && iat <= now + 300;
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or CryptographicException)
        {
            return false;
        }
    }

    private static byte[] Base64Url(string text)
    {
        var padded = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(padded.PadRight(padded.Length + ((4 - (padded.Length % 4)) % 4), '='));
    }
}
