using System.Text.Json.Nodes;

namespace Archiver.Host.Admission;

/// <summary>What the claim webhook answers: admit as is, admit with <see cref="Patch"/>, or refuse for now (<see cref="Refused"/>).</summary>
public sealed record ClaimDecision(JsonArray? Patch, string Why, bool Refused = false)
{
    public static ClaimDecision Unchanged(string why) => new(null, why);

    public static ClaimDecision NotYet(string why) => new(null, why, Refused: true);
}
