using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Archiver.Host.Admission;
using Archiver.Messages.Manifests;

namespace Archiver.Host.Tests;

/// <summary>
/// The validating webhook over 10,000 archivers mutated at random from the shipped examples (a field removed, a value
/// replaced by another type or a random string, a field added, a list emptied): every request is answered, none
/// throws or hangs, and each answer is either admitted (and then <c>archiver validate</c> finds nothing either) or
/// refused with causes whose field paths start in the object and whose lines the message lists.
/// </summary>
public sealed class ArchiverValidatingWebhookFuzzTests
{
    private static readonly string[] Examples = ["deploy/examples/mongodbarchiver.yaml", "deploy/examples/embedded/archiver.yaml"];

    [Fact]
    public void Ten_thousand_mutated_archivers_are_each_admitted_or_refused_with_field_paths()
    {
        var seeds = Examples.SelectMany(path => ManifestReader.Read(File.ReadAllText(Path.Combine(RepositoryRoot(), path))).Documents)
            .Where(d => d.Resource is Messages.Resources.MongoDBArchiver)
            .Select(d => ManifestWriter.ToJsonNode(d.Resource!).AsObject())
            .ToList();
        Assert.NotEmpty(seeds);
        var random = new Random(20261207);
        var (admitted, refused) = (0, 0);
        var slowest = TimeSpan.Zero;
        for (var i = 0; i < 10_000; i++)
        {
            var manifest = (JsonObject)seeds[i % seeds.Count].DeepClone();
            for (var m = random.Next(1, 4); m > 0; m--) Mutate(manifest, random);
            var request = new AdmissionRequest
            {
                Uid = $"fuzz-{i}",
                Kind = new AdmissionKind { Group = "archiver.kubedb.com", Version = "v1alpha1", Kind = "MongoDBArchiver" },
                Namespace = "demo",
                Operation = "CREATE",
                Object = JsonSerializer.Deserialize<JsonElement>(manifest.ToJsonString()),
            };

            var watch = Stopwatch.StartNew();
            var response = ArchiverValidatingWebhook.Respond(request.Uid, request);
            if (watch.Elapsed > slowest) slowest = watch.Elapsed;

            Assert.Equal(request.Uid, response.Uid);
            if (response.Allowed)
            {
                admitted++;
                Assert.True(ManifestReader.Read(manifest.ToJsonString()).IsValid, manifest.ToJsonString());
                continue;
            }

            refused++;
            var status = response.Status!;
            Assert.Equal((422, "Invalid"), (status.Code, status.Reason));
            Assert.NotEmpty(status.Details!.Causes);
            foreach (var cause in status.Details.Causes)
            {
                Assert.False(string.IsNullOrWhiteSpace(cause.Message), manifest.ToJsonString());
                Assert.Contains(cause.Field.Length == 0 ? cause.Message : $"{cause.Field}: {cause.Message}", status.Message, StringComparison.Ordinal);
                // A path starts at a field of the object as sent (a top-level one may be the one missing).
                if (cause.Field.Length > 0)
                {
                    Assert.True(cause.Field.IndexOfAny(['.', '[']) < 0
                        || manifest.Any(p => cause.Field == p.Key || cause.Field.StartsWith(p.Key + ".", StringComparison.Ordinal) || cause.Field.StartsWith(p.Key + "[", StringComparison.Ordinal)),
                        $"{cause.Field} in {manifest.ToJsonString()}");
                }
            }
        }

        // Both answers were exercised, and no request took long (a regex or a cron parse gone quadratic would).
        Assert.True(admitted > 100 && refused > 1000, $"admitted {admitted}, refused {refused}");
        Assert.True(slowest < TimeSpan.FromSeconds(2), $"slowest answer {slowest}");
    }

    private static void Mutate(JsonObject root, Random random)
    {
        var containers = new List<(JsonNode Parent, object Key)>();
        Collect(root, containers);
        var (parent, key) = containers[random.Next(containers.Count)];
        switch (random.Next(5))
        {
            case 0 when parent is JsonObject o && key is string name && name is not ("apiVersion" or "kind"):
                o.Remove(name);
                break;
            case 1:
                Set(parent, key, random.Next(4) switch
                {
                    0 => JsonValue.Create(random.Next(-5, 100_000)),
                    1 => JsonValue.Create(random.Next(2) == 0),
                    2 => new JsonArray(JsonValue.Create(RandomText(random))),
                    _ => new JsonObject { [RandomText(random)] = RandomText(random) },
                });
                break;
            case 2:
                Set(parent, key, JsonValue.Create(RandomText(random)));
                break;
            case 3 when parent is JsonObject o:
                o[RandomText(random)] = RandomText(random);
                break;
            default:
                if (parent is JsonArray a) a.Clear();
                else if (parent is JsonObject o && key is string name && o[name] is JsonValue v && v.TryGetValue<string>(out var text)) o[name] = text + RandomText(random);
                break;
        }
    }

    private static void Collect(JsonNode node, List<(JsonNode, object)> into)
    {
        if (node is JsonObject o)
        {
            foreach (var (name, child) in o.ToList())
            {
                into.Add((o, name));
                if (child is not null) Collect(child, into);
            }
        }
        else if (node is JsonArray a)
        {
            for (var i = 0; i < a.Count; i++)
            {
                into.Add((a, i));
                if (a[i] is { } child) Collect(child, into);
            }
        }
    }

    private static void Set(JsonNode parent, object key, JsonNode value)
    {
        if (parent is JsonObject o) o[(string)key] = value;
        else if (parent is JsonArray a) a[(int)key] = value;
    }

    private static string RandomText(Random random)
    {
        const string Alphabet = "abcXYZ019 -_./:*@{}$";
        return new string([.. Enumerable.Range(0, random.Next(0, 12)).Select(_ => Alphabet[random.Next(Alphabet.Length)])]);
    }

    private static string RepositoryRoot()
    {
        var folder = new DirectoryInfo(AppContext.BaseDirectory);
        while (folder is not null && !File.Exists(Path.Combine(folder.FullName, "Directory.Packages.props"))) folder = folder.Parent;
        return folder?.FullName ?? throw new DirectoryNotFoundException("the repository root (Directory.Packages.props) above the test's folder");
    }
}
