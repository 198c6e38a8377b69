namespace Archiver.Emulators.Gcs;

public sealed record GcsEmulatorOptions
{
    /// <summary>0: any free port.</summary>
    public int Port { get; init; }

    /// <summary>Buckets that exist from the start (more can be made with the JSON API's buckets.insert).</summary>
    public IReadOnlyList<string> Buckets { get; init; } = [];

    /// <summary>
    /// Requires every request to carry a bearer credential of a service account made by
    /// <see cref="GcsEmulator.CreateServiceAccountKey"/> (a self-signed JWT or an access token from the stand-in's
    /// token endpoint), as GCS refuses anonymous callers of a private bucket with 401. Off: anyone may do anything.
    /// </summary>
    public bool RequireAuthentication { get; init; } = true;

    /// <summary>The clock behind generations and timestamps, and behind the expiry of credentials.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;
}
