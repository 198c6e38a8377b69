using Archiver.Actors.Embedded;
using Archiver.Messages.Protocol;
using Archiver.Messages.Resources;
using Archiver.Messages.Validation;
using k8s.Models;

namespace Archiver.Actors.Tests;

/// <summary>The in-memory store's namespace and label indexes: lists by selector answer as checking every object would.</summary>
public sealed class ResourceStoreIndexTests
{
    private static readonly string[] Namespaces = ["alpha", "beta", "gamma"];
    private static readonly string?[] Tiers = ["gold", "silver", null];

    public static TheoryData<string> Selectors => new()
    {
        "tier=gold",
        "tier in (gold, silver)",
        "tier notin (gold)",
        "tier exists",
        "tier doesnotexist",
        "tier=gold; zone=east",
        "",
    };

    [Theory]
    [MemberData(nameof(Selectors))]
    public async Task A_list_by_label_selector_returns_what_checking_every_object_returns(string selector)
    {
        var store = await StoreAsync();
        var labelSelector = Parse(selector);
        var all = await store.ListAsync<MongoDB>();
        foreach (var @namespace in new string?[] { "alpha", "beta", "gamma", null })
        {
            var expected = all.Where(db => (@namespace is null || db.Metadata.NamespaceProperty == @namespace) && LabelSelectors.Matches(labelSelector, db.Metadata.Labels))
                .Select(ResourceId.Of).ToList();
            var listed = (await store.ListAsync<MongoDB>(@namespace, labelSelector)).Select(ResourceId.Of).ToList();
            Assert.Equal(expected, listed);
        }
    }

    [Fact]
    public async Task A_relabelled_object_leaves_its_old_label_and_joins_its_new_one()
    {
        var store = await StoreAsync();
        var db = (await store.GetAsync<MongoDB>(new ResourceId("alpha", "db-0")))!;
        Assert.Equal("gold", db.Metadata.Labels!["tier"]);
        db.Metadata.Labels = new Dictionary<string, string> { ["tier"] = "bronze" };
        await store.ReplaceAsync(db);

        Assert.DoesNotContain(await store.ListAsync<MongoDB>("alpha", Parse("tier=gold")), d => d.Metadata.Name == "db-0");
        Assert.Equal(["db-0"], (await store.ListAsync<MongoDB>(null, Parse("tier=bronze"))).Select(d => d.Metadata.Name));
    }

    [Fact]
    public async Task A_deleted_object_is_in_no_list()
    {
        var store = await StoreAsync();
        Assert.Contains(await store.ListAsync<MongoDB>(null, Parse("tier exists")), d => d.Metadata.Name == "db-3");
        Assert.True(await store.DeleteAsync<MongoDB>(new ResourceId("alpha", "db-3")));
        Assert.DoesNotContain(await store.ListAsync<MongoDB>("alpha"), d => d.Metadata.Name == "db-3");
        Assert.DoesNotContain(await store.ListAsync<MongoDB>(null, Parse("tier exists")), d => d.Metadata.Name == "db-3");
    }

    [Fact]
    public async Task Lists_keep_the_api_server_rules_a_stale_replace_conflicts_and_a_spec_change_bumps_generation()
    {
        var store = await StoreAsync();
        var id = new ResourceId("gamma", "db-2");
        var first = (await store.GetAsync<MongoDB>(id))!;
        var changed = await store.ReplaceAsync(first with { Spec = first.Spec! with { Archiver = new DatabaseArchiverRef { Pause = true } } });
        Assert.Equal(2, changed.Metadata.Generation);
        await Assert.ThrowsAsync<Ports.ResourceConflictException>(() => store.ReplaceAsync(first));
        var listed = Assert.Single(await store.ListAsync<MongoDB>("gamma", Parse("tier=" + changed.Metadata.Labels!["tier"])), d => d.Metadata.Name == "db-2");
        Assert.Equal(changed.Metadata.ResourceVersion, listed.Metadata.ResourceVersion);
    }

    private static async Task<InMemoryResourceStore> StoreAsync()
    {
        var store = new InMemoryResourceStore();
        for (var i = 0; i < 30; i++)
        {
            var db = Selections.Database($"db-{i}", Namespaces[i % Namespaces.Length], Tiers[i / 3 % Tiers.Length]);
            if (i % 4 == 0 && db.Metadata.Labels is { } labels) labels["zone"] = "east";
            await store.CreateAsync(db);
        }

        return store;
    }

    /// <summary>A selector in kubectl's syntax, requirements separated by semicolons (a set's values use commas).</summary>
    private static V1LabelSelector Parse(string text)
    {
        var selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string>(), MatchExpressions = [] };
        foreach (var part in text.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var words = part.Split(' ', 2, StringSplitOptions.TrimEntries);
            if (part.Contains('=', StringComparison.Ordinal))
            {
                var pair = part.Split('=');
                selector.MatchLabels[pair[0].Trim()] = pair[1].Trim();
            }
            else if (words.Length == 2 && (words[1].StartsWith("in ", StringComparison.Ordinal) || words[1].StartsWith("notin ", StringComparison.Ordinal)))
            {
                var op = words[1].StartsWith("in ", StringComparison.Ordinal) ? "In" : "NotIn";
                var values = words[1][(words[1].IndexOf('(', StringComparison.Ordinal) + 1)..words[1].IndexOf(')', StringComparison.Ordinal)].Split(',', StringSplitOptions.TrimEntries);
                selector.MatchExpressions.Add(new V1LabelSelectorRequirement { Key = words[0], OperatorProperty = op, Values = values });
            }
            else
            {
                selector.MatchExpressions.Add(new V1LabelSelectorRequirement { Key = words[0], OperatorProperty = words[1] == "exists" ? "Exists" : "DoesNotExist" });
            }
        }

        return selector;
    }
}
