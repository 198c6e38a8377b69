namespace Archiver.Host.Cli;

/// <summary>A demo step did not give what it should: the message says which and what was found instead.</summary>
internal sealed class DemoFailure(string message) : Exception(message);
