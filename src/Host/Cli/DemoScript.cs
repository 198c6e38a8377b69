using System.Diagnostics;
using Archiver.Host.Node;
using Archiver.Messages.Protocol;
using Archiver.Messages.Resources;
using MongoDBResource = Archiver.Messages.Resources.MongoDB;

namespace Archiver.Host.Cli;

/// <summary>
/// What every embedded demo does the same way: timed steps, the <c>archiver</c> commands it runs against its node (as a
/// user would type them, printed first), waits with a deadline, and the checks of a database's archiving status.
/// </summary>
internal abstract class DemoScript(TextWriter output)
{
    protected Stopwatch Clock { get; } = Stopwatch.StartNew();

    protected TextWriter Output => output;

    /// <summary>The node the commands go to (<c>--node</c>), set once it runs.</summary>
    protected string Node { get; set; } = "";

    protected Task StepAsync(string text) => output.WriteLineAsync($"[{Clock.Elapsed.TotalSeconds,5:0.0}s] {text}");

    protected async Task WaitAsync(string what, Func<Task<bool>> done, TimeSpan timeout, CancellationToken cancellation)
    {
        var deadline = Clock.Elapsed + timeout;
        while (!await done())
        {
            if (Clock.Elapsed > deadline) throw new DemoFailure($"timed out after {timeout.TotalSeconds:0} s waiting for: {what}");
            await Task.Delay(100, cancellation);
        }

        await StepAsync(what);
    }

    protected async Task CliOrFailAsync(CancellationToken cancellation, params string[] args)
    {
        var code = await CliAsync(cancellation, args);
        if (code != ExitCodes.Ok) throw new DemoFailure($"'archiver {string.Join(' ', args)}' exited {code}");
    }

    protected async Task<int> CliAsync(CancellationToken cancellation, params string[] args)
    {
        await StepAsync($"$ archiver {string.Join(' ', args)}");
        return await ArchiverCli.RunAsync([.. args, "--node", Node], output, output, cancellation);
    }

    /// <summary>The database is configured (its archiver named) and its status says Archiving.</summary>
    protected static async Task<bool> IsArchivingAsync(ArchiverNodeHost node, ResourceId database)
    {
        var db = await node.Store.GetAsync<MongoDBResource>(database);
        return db?.Status?.Archiver?.Phase == DatabaseArchiverPhase.Archiving && db.Spec?.Archiver?.Ref is not null;
    }

    /// <summary>The database's status shows a recoverable window reaching <paramref name="lastWrite"/>.</summary>
    protected static async Task<bool> ArchivedPastAsync(ArchiverNodeHost node, ResourceId database, DateTimeOffset lastWrite)
    {
        var db = await node.Store.GetAsync<MongoDBResource>(database);
        return db?.Status?.Archiver?.RecoverableWindows is { Count: > 0 } windows && windows.Max(w => w.End) >= lastWrite;
    }
}
