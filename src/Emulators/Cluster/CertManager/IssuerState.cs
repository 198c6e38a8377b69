using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Archiver.Emulators.Cluster.CertManager;

/// <summary>
/// An issuer as the stand-in found it: whether it can sign (its Ready condition's status, reason and message) and,
/// for a CA issuer, the CA's certificate, key and the chain its <c>tls.crt</c> holds (the CA first).
/// </summary>
internal sealed record IssuerState(bool Ready, string Reason, string Message, bool SelfSigned, X509Certificate2? CaCertificate, AsymmetricAlgorithm? CaKey, IReadOnlyList<X509Certificate2> CaChain);
