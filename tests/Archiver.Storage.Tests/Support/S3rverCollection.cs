namespace Archiver.Storage.Tests.Support;

/// <summary>Every test class that needs s3rver shares one server process.</summary>
[CollectionDefinition(Name)]
public sealed class S3rverCollection : ICollectionFixture<S3rverFixture>
{
    public const string Name = "s3rver";
}
