using Archiver.Actors.Databases;
using Archiver.Messages.Configuration;
using Archiver.Messages.Protocol;
using Archiver.Messages.Protocol.Databases;
using Archiver.Messages.Resources;

namespace Archiver.Actors.Tests;

/// <summary>Configuration at creation as a persisted intent, decided without an actor.</summary>
public sealed class CreationConfigurationDeciderTests
{
    private static readonly DateTimeOffset Now = new(2030, 1, 1, 1, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_database_created_with_its_archiver_set_asks_once_per_archiver_spec()
    {
        var state = DatabaseState.Empty(Fixtures.DatabaseId);
        var archiver = Fixtures.Archiver();

        var intent = CreationConfigurationDecider.Request(state, Created(), archiver, Now);
        Assert.NotNull(intent);
        Assert.Equal(SpecHash.Compute(archiver.Spec!), intent.SpecHash);
        state = state.Apply(intent);
        Assert.True(CreationConfigurationDecider.ShouldRun(state, Created()));

        Assert.Null(CreationConfigurationDecider.Request(state, Created(), archiver, Now));
        // Its archiver changed before the steps finished: configured for the new spec.
        Assert.NotNull(CreationConfigurationDecider.Request(state, Created(), Fixtures.Archiver(schedule: "@daily"), Now));
    }

    [Fact]
    public void Configured_ends_the_intent_and_a_configured_database_runs_no_steps()
    {
        var state = DatabaseState.Empty(Fixtures.DatabaseId);
        state = state.Apply(CreationConfigurationDecider.Request(state, Created(), Fixtures.Archiver(), Now)!);

        state = state.Apply(new ConfiguredAtCreation(Fixtures.DatabaseId, ResourceId.Of(Fixtures.Archiver()), state.ConfiguringAtCreation!.SpecHash, Now));

        Assert.Null(state.ConfiguringAtCreation);
        Assert.Equal(Now, state.ConfiguredAtCreation);
        Assert.False(CreationConfigurationDecider.ShouldRun(state, Created()));
        var annotated = Created();
        annotated.Metadata.Annotations = new Dictionary<string, string> { [ApiGroups.SpecHashAnnotation] = "h" };
        Assert.Null(CreationConfigurationDecider.Request(state, annotated, Fixtures.Archiver(), Now));
    }

    [Fact]
    public void A_database_waiting_for_its_restore_is_not_configured_meanwhile()
    {
        var restoring = Created() with
        {
            Spec = Created().Spec! with
            {
                Init = new MongoDBInit { Archiver = new ArchiverRecovery { RecoveryTimeStamp = Now, Repository = new ObjectRef { Name = "s" } } },
            },
        };

        Assert.Null(CreationConfigurationDecider.Request(DatabaseState.Empty(Fixtures.DatabaseId), restoring, Fixtures.Archiver(), Now));
    }

    private static MongoDB Created() =>
        DatabaseMutator.Mutate(Fixtures.Database(), [Fixtures.Archiver()], [new Ports.NamespaceInfo("demo", new Dictionary<string, string>())]);
}
