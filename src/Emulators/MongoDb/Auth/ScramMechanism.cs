using System.Security.Cryptography;
using System.Text;

namespace Archiver.Emulators.MongoDb.Auth;

/// <summary>SCRAM-SHA-1 or SCRAM-SHA-256, with the salt sizes and iteration counts mongod uses by default.</summary>
internal sealed record ScramMechanism(string Name, HashAlgorithmName Algorithm, int SaltBytes, int Iterations)
{
    public static readonly ScramMechanism Sha1 = new("SCRAM-SHA-1", HashAlgorithmName.SHA1, 16, 10_000);

    // mongod's scramSHA256IterationCount default; drivers refuse fewer than 4096.
    public static readonly ScramMechanism Sha256 = new("SCRAM-SHA-256", HashAlgorithmName.SHA256, 28, 15_000);

    public static ScramMechanism? Named(string name) => name switch
    {
        "SCRAM-SHA-1" => Sha1,
        "SCRAM-SHA-256" => Sha256,
        _ => null,
    };

    /// <summary>What is salted: SHA-256 takes the password itself; SHA-1 MongoDB's digest, hex MD5 of <c>user:mongo:password</c>.</summary>
    public byte[] Secret(string user, string password) => Algorithm == HashAlgorithmName.SHA1
#pragma warning disable CA5351 // MD5 is what MongoDB's SCRAM-SHA-1 prescribes for the password digest, not our choice.
        ? Encoding.UTF8.GetBytes(Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes($"{user}:mongo:{password}"))))
#pragma warning restore CA5351
        : Encoding.UTF8.GetBytes(password);

    public byte[] Hmac(byte[] key, byte[] data) => Algorithm == HashAlgorithmName.SHA1 ? HMACSHA1.HashData(key, data) : HMACSHA256.HashData(key, data);

    public byte[] Hash(byte[] data) => Algorithm == HashAlgorithmName.SHA1 ? SHA1.HashData(data) : SHA256.HashData(data);

    public ScramKeys Derive(string user, string password)
    {
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        var salted = Rfc2898DeriveBytes.Pbkdf2(Secret(user, password), salt, Iterations, Algorithm, Algorithm == HashAlgorithmName.SHA1 ? 20 : 32);
        var clientKey = Hmac(salted, "Client Key"u8.ToArray());
        return new ScramKeys(salt, Iterations, Hash(clientKey), Hmac(salted, "Server Key"u8.ToArray()));
    }
}

/// <summary>What a server stores for a SCRAM user (never the password): salt, iterations, StoredKey, ServerKey.</summary>
internal sealed record ScramKeys(byte[] Salt, int Iterations, byte[] StoredKey, byte[] ServerKey);
