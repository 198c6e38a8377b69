using System.Text;
using System.Text.Json.Nodes;

namespace Archiver.Emulators.Cluster.Controllers;

/// <summary>
/// A pod template's revision name, <c>{set}-{hash}</c>, as the StatefulSet controller names its ControllerRevisions
/// (pkg/controller/history/controller_history.go: FNV-32a of the template, spelled with the alphabet of
/// apimachinery's <c>rand.SafeEncodeString</c>). The hash is over the template as stored, so any change to it (an image,
/// an added container, the <c>kubectl.kubernetes.io/restartedAt</c> annotation) is a new revision.
/// </summary>
internal static class Revisions
{
    private const string Alphabet = "bcdfghjklmnpqrstvwxz2456789";

    public static string Of(string setName, JsonNode? template)
    {
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(template?.ToJsonString() ?? "{}"))
        {
            hash ^= b;
            hash *= 16777619u;
        }

        var digits = hash.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var encoded = new StringBuilder(digits.Length);
        foreach (var c in digits) encoded.Append(Alphabet[c % Alphabet.Length]);
        return $"{setName}-{encoded}";
    }
}
