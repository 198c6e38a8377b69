using System.Text.Json.Nodes;
using Archiver.Messages.Manifests;
using Archiver.Messages.Resources;

namespace Archiver.Messages.Tests;

public sealed class ExampleManifestTests
{
    [Fact]
    public void There_is_an_example_for_every_kind()
    {
        var kinds = Examples.Files().Select(f => (string)f[0])
            .SelectMany(f => ManifestReader.Read(Examples.Read(f)).Resources)
            .Select(r => r.Kind).ToHashSet();
        Assert.Equal(ResourceKinds.All.Select(k => k.Kind).Order(), kinds.Order());
    }

    [Theory]
    [MemberData(nameof(Examples.Files), MemberType = typeof(Examples))]
    public void Every_example_is_valid(string file)
    {
        var result = ManifestReader.Read(Examples.Read(file));
        Assert.Empty(result.Errors.Select(e => e.ToString()));
        Assert.NotEmpty(result.Documents);
    }

    [Theory]
    [MemberData(nameof(Examples.Files), MemberType = typeof(Examples))]
    public void Every_example_round_trips_through_yaml(string file)
    {
        var first = ManifestReader.Read(Examples.Read(file)).Resources;
        var yaml = ManifestWriter.ToYaml(first);
        var second = ManifestReader.Read(yaml).Resources;
        AssertSameResources(first, second);
    }

    [Theory]
    [MemberData(nameof(Examples.Files), MemberType = typeof(Examples))]
    public void Every_example_round_trips_through_json(string file)
    {
        var first = ManifestReader.Read(Examples.Read(file)).Resources;
        var second = ManifestReader.Read(ManifestWriter.ToJson(first)).Resources;
        AssertSameResources(first, second);
        var single = ManifestReader.Read(ManifestWriter.ToJson(first[0])).Resources;
        AssertSameResources([first[0]], single);
    }

    [Fact]
    public void The_recovery_timestamp_keeps_its_microseconds_through_a_round_trip()
    {
        var db = (MongoDB)ManifestReader.Read(Examples.Read("mongodb-restore.yaml")).Resources[0];
        var expected = new DateTimeOffset(2020, 10, 28, 1, 48, 23, TimeSpan.FromHours(3)).AddTicks(1213140);
        Assert.Equal(expected, db.Spec!.Init!.Archiver!.RecoveryTimeStamp);

        var again = (MongoDB)ManifestReader.Read(ManifestWriter.ToYaml(db)).Resources[0];
        Assert.Equal(expected.UtcTicks, again.Spec!.Init!.Archiver!.RecoveryTimeStamp!.Value.UtcTicks);
        Assert.Contains(".121314", ManifestWriter.ToYaml(again), StringComparison.Ordinal);
    }

    [Fact]
    public void Fields_archiver_does_not_own_survive_unchanged_with_their_types()
    {
        var db = (MongoDB)ManifestReader.Read(Examples.Read("mongodb-restore.yaml")).Resources[0];
        var spec = ManifestWriter.ToJsonNode(db)["spec"]!;
        Assert.Equal("6.0.12", spec["version"]!.GetValue<string>());
        Assert.Equal(3, spec["replicas"]!.GetValue<int>());
        Assert.Equal("1Gi", spec["storage"]!["resources"]!["requests"]!["storage"]!.GetValue<string>());
        Assert.Equal("ReadWriteOnce", spec["storage"]!["accessModes"]![0]!.GetValue<string>());
        Assert.Equal("WipeOut", spec["deletionPolicy"]!.GetValue<string>());

        var yaml = ManifestWriter.ToYaml(db);
        Assert.Contains("replicas: 3", yaml, StringComparison.Ordinal);
        Assert.Contains("recoveryTimeStamp: \"2020-10-27T22:48:23.121314Z\"", yaml, StringComparison.Ordinal);
    }

    [Fact]
    public void Strings_that_look_like_other_types_are_quoted_so_they_read_back_as_strings()
    {
        var yaml = """
            apiVersion: kubedb.com/v1alpha2
            kind: MongoDB
            metadata: {name: db, namespace: demo, labels: {archiver: "true", tier: "007"}}
            spec: {version: "6.0", flag: "yes", empty: "", number: 1.50, nothing: null, text: "a: b"}
            """;
        var db = ManifestReader.Read(yaml).Resources[0];
        var again = ManifestWriter.ToJsonNode(ManifestReader.Read(ManifestWriter.ToYaml(db)).Resources[0]);
        Assert.True(JsonNode.DeepEquals(ManifestWriter.ToJsonNode(db), again), again.ToJsonString());
        Assert.Equal("true", again["metadata"]!["labels"]!["archiver"]!.GetValue<string>());
        Assert.Equal("007", again["metadata"]!["labels"]!["tier"]!.GetValue<string>());
        Assert.Equal("1.50", again["spec"]!["number"]!.ToJsonString());
        Assert.Null(again["spec"]!["nothing"]);
    }

    private static void AssertSameResources(IReadOnlyList<Resource> expected, IReadOnlyList<Resource> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            var a = ManifestWriter.ToJsonNode(expected[i]);
            var b = ManifestWriter.ToJsonNode(actual[i]);
            Assert.True(JsonNode.DeepEquals(a, b), $"{expected[i].DisplayName} changed:\n{a.ToJsonString()}\n{b.ToJsonString()}");
            Assert.Equal(expected[i].GetType(), actual[i].GetType());
        }
    }
}
