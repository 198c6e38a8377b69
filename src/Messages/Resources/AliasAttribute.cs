namespace Archiver.Messages.Resources;

/// <summary>
/// Another name accepted on read for a field or an enum value, normalised to the canonical name.
/// The seed's names are canonical; KubeDB's and KubeStash's current names are the aliases.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field, AllowMultiple = true)]
public sealed class AliasAttribute(string name) : Attribute
{
    public string Name { get; } = name;
}
