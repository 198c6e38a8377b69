namespace Archiver.Storage.Tests.Support;

/// <summary>Every test class that needs Azurite shares one server process.</summary>
[CollectionDefinition(Name)]
public sealed class AzuriteCollection : ICollectionFixture<AzuriteFixture>
{
    public const string Name = "azurite";
}
