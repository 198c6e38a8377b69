namespace Archiver.Host.Cli;

/// <summary>What the <c>archiver</c> command's exit code means, the same for every sub-command, so scripts can rely on it.</summary>
public static class ExitCodes
{
    /// <summary>Everything asked for was done (for <c>validate</c>: every document is valid).</summary>
    public const int Ok = 0;

    /// <summary>The input was read but is wrong (invalid manifests, an unreadable file, an unknown database, a time no window covers).</summary>
    public const int Invalid = 1;

    /// <summary>The command line itself is wrong: an unknown option, a missing argument.</summary>
    public const int Usage = 2;

    /// <summary>The work was tried and failed (a backup or restore that failed, a node that could not start, verification that did not match).</summary>
    public const int Failed = 3;

    /// <summary>The node named by <c>--node</c> did not answer (not running, wrong address, wrong token).</summary>
    public const int Unreachable = 4;
}
