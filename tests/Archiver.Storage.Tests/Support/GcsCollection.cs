namespace Archiver.Storage.Tests.Support;

/// <summary>Every GCS test class shares one stand-in (and, when set, the real bucket's run folder).</summary>
[CollectionDefinition(Name)]
public sealed class GcsCollection : ICollectionFixture<GcsTarget>
{
    public const string Name = "gcs";
}
