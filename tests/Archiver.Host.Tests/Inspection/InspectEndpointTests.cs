using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Archiver.Host.Api;
using Archiver.Host.Inspection;

namespace Archiver.Host.Tests.Inspection;

/// <summary><c>/inspect/*</c> against a started node with live entities.</summary>
[Collection(InspectionCollection.Name)]
public sealed class InspectEndpointTests(InspectionNode fixture) : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = fixture.Node.Address };

    [Fact]
    public async Task Members_shows_this_node_up_reachable_and_leading()
    {
        var members = await GetAsync<MembersResponse>("inspect/members");
        var self = Assert.Single(members.Members);
        Assert.True(self.IsSelf);
        Assert.True(self.IsLeader);
        Assert.True(self.Reachable);
        Assert.Equal("Up", self.Status);
        Assert.Equal(1, self.AgeRank);
        Assert.NotNull(self.UpSince);
        Assert.Equal(self.Address, members.Self);
        Assert.Equal(self.Address, members.Leader);
        Assert.Equal(0, members.Unreachable);
        Assert.StartsWith("akka.tcp://archiver@127.0.0.1:", self.Address, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Shards_count_each_regions_entities_on_this_node()
    {
        var shards = await GetAsync<ShardsResponse>("inspect/shards");
        Assert.Equal(["opsrequest", "archiver", "database", "storageindex"], shards.Regions.Select(r => r.TypeName));
        var self = (await GetAsync<MembersResponse>("inspect/members")).Self;
        var byName = shards.Regions.ToDictionary(r => r.TypeName);
        Assert.Equal(1, byName["archiver"].Entities);
        // No count for ops requests: a finished one passivates (its journal stays), so only running ones are hosted.
        Assert.True(byName["database"].Entities >= InspectionNode.Databases.Length, $"{byName["database"].Entities} database entities");
        foreach (var region in shards.Regions.Where(r => r.Entities > 0))
        {
            Assert.Null(region.Error);
            var node = Assert.Single(region.Nodes);
            Assert.Equal(self, node.Address);
            Assert.Equal(node.Entities, node.ShardList.Sum(s => s.Entities));
            Assert.Equal(node.Shards, node.ShardList.Count);
        }
    }

    [Fact]
    public async Task An_ops_request_entity_shows_its_live_state_and_every_persisted_step()
    {
        var name = fixture.ConfigureRequests["orders"];
        var entity = await GetAsync<EntityResponse>($"inspect/entity/opsrequest/shop/{name}");
        Assert.Equal("opsrequest", entity.Kind);
        Assert.Equal($"shop/{name}", entity.Id);
        Assert.Equal($"opsrequest-shop/{name}", entity.PersistenceId);
        Assert.Equal("Successful", entity.Phase);
        Assert.True(entity.ResourceExists);
        Assert.Equal((await GetAsync<MembersResponse>("inspect/members")).Self, entity.Node);
        Assert.Equal("Successful", entity.State!.Value.GetProperty("phase").GetString());
        Assert.Equal("shop/orders", entity.State.Value.GetProperty("databaseId").GetString());

        // The journal's story: accepted, then each step started and succeeded, numbered without a hole.
        Assert.Equal(entity.HighestSequenceNr, entity.Events.Count);
        Assert.Equal(Enumerable.Range(1, entity.Events.Count).Select(i => (long)i), entity.Events.Select(e => e.SequenceNr));
        var accepted = entity.Events[0];
        Assert.Equal("OpsRequestAccepted", accepted.Type);
        Assert.Equal("ops-request.accepted.v1", accepted.Manifest);
        Assert.Equal("ConfigureArchiver", accepted.Data.GetProperty("operation").GetString());
        Assert.NotNull(accepted.Timestamp);
        Assert.InRange(accepted.Timestamp!.Value, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(1));
        Assert.Contains(entity.Events, e => e.Type == "OpsRequestStepSucceeded" && e.Data.GetProperty("step").GetString() == "UpdateDatabase");
        Assert.False(entity.EventsTruncated);
    }

    [Fact]
    public async Task Archiver_and_database_entities_answer_their_state_queries()
    {
        var archiver = await GetAsync<EntityResponse>("inspect/entity/archiver/shop/nightly");
        Assert.Equal("Current", archiver.Phase);
        var databases = archiver.State!.Value.GetProperty("databases");
        Assert.Equal(["shop/carts", "shop/orders"], databases.EnumerateObject().Select(p => p.Name));
        Assert.Equal("ArchiverSpecObserved", archiver.Events[0].Type);

        // Aliases a person would type reach the same entity.
        var database = await GetAsync<EntityResponse>("inspect/entity/mongodb/shop/orders");
        Assert.Equal("database", database.Kind);
        Assert.Equal("Archiving", database.Phase);
        Assert.Equal("0 3 * * *", database.State!.Value.GetProperty("schedule").GetProperty("cron").GetString());
        Assert.Equal(["DatabaseIdentified", "BackupScheduleSet"], database.Events.Take(2).Select(e => e.Type));
    }

    [Fact]
    public async Task Events_can_be_limited_to_the_newest()
    {
        var name = fixture.ConfigureRequests["carts"];
        var all = await GetAsync<EntityResponse>($"inspect/entity/opsrequest/shop/{name}");
        var newest = await GetAsync<EntityResponse>($"inspect/entity/opsrequest/shop/{name}?events=2");
        Assert.True(newest.EventsTruncated);
        Assert.Equal(all.Events.TakeLast(2).Select(e => e.SequenceNr), newest.Events.Select(e => e.SequenceNr));
        Assert.Equal(all.HighestSequenceNr, newest.HighestSequenceNr);
    }

    [Fact]
    public async Task An_unknown_entity_is_404_with_a_clear_message_and_is_not_started()
    {
        var response = await _http.GetAsync("inspect/entity/database/shop/nope");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var error = await response.Content.ReadFromJsonAsync<ApiError>(ApiJson.Options);
        Assert.Equal("no database entity shop/nope: there is no MongoDB shop/nope and nothing in the journal under database-shop/nope", error!.Message);

        // Asking would have started (and, with remember-entities, resurrected forever) an empty entity.
        var tree = await GetAsync<ActorsResponse>("inspect/actors?path=/system/sharding/database&depth=3");
        Assert.DoesNotContain(Flatten(tree.Roots), a => a.Name == "shop%2Fnope");
        Assert.DoesNotContain("database-shop/nope", (await GetAsync<PersistenceIdsResponse>("inspect/journal")).PersistenceIds);
    }

    [Fact]
    public async Task An_unknown_kind_is_400_naming_the_kinds()
    {
        var response = await _http.GetAsync("inspect/entity/widget/shop/orders");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = await response.Content.ReadFromJsonAsync<ApiError>(ApiJson.Options);
        Assert.Equal("'widget' is not an entity kind; entities are opsrequest, archiver, database", error!.Message);
    }

    [Fact]
    public async Task The_actor_tree_shows_guardians_regions_shards_and_entities_with_their_classes()
    {
        var tree = await GetAsync<ActorsResponse>("inspect/actors?depth=6");
        Assert.Equal(["user", "system"], tree.Roots.Select(r => r.Name));
        var all = Flatten(tree.Roots).ToList();
        Assert.Contains(all, a => a.Path == "/user/resource-watcher/resource-watcher" && a.Type == "ResourceWatcherActor");
        Assert.Contains(all, a => a.Path == "/system/sharding/database" && a.Type == "ShardRegion");
        var orders = Assert.Single(all, a => a.Name == "shop%2Forders");
        Assert.Equal("DatabaseActor", orders.Type);
        Assert.StartsWith("/system/sharding/database/", orders.Path, StringComparison.Ordinal);

        var shallow = await GetAsync<ActorsResponse>("inspect/actors?depth=1");
        var system = shallow.Roots.Single(r => r.Name == "system");
        var sharding = system.Children.Single(c => c.Name == "sharding");
        Assert.Empty(sharding.Children);
        Assert.True(sharding.ChildCount >= 4, "the regions are counted even when not listed");
    }

    [Fact]
    public async Task The_journal_lists_every_persistence_id_and_reads_any_of_them()
    {
        var ids = (await GetAsync<PersistenceIdsResponse>("inspect/journal")).PersistenceIds;
        Assert.Contains("archiver-shop/nightly", ids);
        Assert.Contains("database-shop/orders", ids);
        Assert.Contains($"opsrequest-shop/{fixture.ConfigureRequests["orders"]}", ids);
        var coordinator = Assert.Single(ids, i => i.Contains("opsrequestCoordinator", StringComparison.Ordinal));

        // Akka's own streams (the coordinator's shard allocations) render too.
        var akka = await GetAsync<JournalResponse>($"inspect/journal?id={Uri.EscapeDataString(coordinator)}");
        Assert.NotEmpty(akka.Events);
        Assert.All(akka.Events, e => Assert.Null(e.Manifest));
        Assert.All(akka.Events, e => Assert.Equal(JsonValueKind.Object, e.Data.ValueKind));

        // The path form takes the slash inside the id as it is.
        var archiver = await GetAsync<JournalResponse>("inspect/journal/archiver-shop/nightly?limit=1");
        Assert.Equal("archiver-shop/nightly", archiver.PersistenceId);
        Assert.Single(archiver.Events);
        Assert.True(archiver.Truncated);
        Assert.Equal(archiver.HighestSequenceNr, archiver.Events[0].SequenceNr);

        var missing = await _http.GetAsync("inspect/journal/no-such-id");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task Ops_requests_report_phase_terminality_and_age()
    {
        var requests = (await GetAsync<OpsRequestsResponse>("inspect/opsrequests?namespace=shop")).OpsRequests;
        var stuck = Assert.Single(requests, r => r.Name == InspectionNode.StuckOpsRequest);
        Assert.Equal("Progressing", stuck.Phase);
        Assert.False(stuck.Terminal);
        Assert.Equal("ghost", stuck.Database);
        Assert.Equal("waiting for the oplog archiver", stuck.Message);
        Assert.InRange(stuck.AgeSeconds, 0, 600);
        var configured = Assert.Single(requests, r => r.Name == fixture.ConfigureRequests["orders"]);
        Assert.Equal("Successful", configured.Phase);
        Assert.True(configured.Terminal);
        Assert.Equal("ConfigureArchiver", configured.Operation);
        Assert.Equal("shop/nightly", configured.Archiver);
        Assert.Empty((await GetAsync<OpsRequestsResponse>("inspect/opsrequests?namespace=elsewhere")).OpsRequests);
    }

    public void Dispose() => _http.Dispose();

    private static IEnumerable<ActorNode> Flatten(IEnumerable<ActorNode> nodes) => nodes.SelectMany(n => Flatten(n.Children).Prepend(n));

    private async Task<T> GetAsync<T>(string path)
    {
        var response = await _http.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {body}");
        return JsonSerializer.Deserialize<T>(body, ApiJson.Options)!;
    }
}
