using Archiver.Messages.Resources;

namespace Archiver.Messages.Validation;

public static partial class ResourceValidator
{
    private static void BackupConfiguration(FieldChecks checks, BackupConfigurationSpec? spec)
    {
        if (spec is null) return;
        checks.TypedRef("spec.target", spec.Target);
        checks.Unique("spec.backends", spec.Backends, b => b.Name, "backend");
        var backends = (spec.Backends ?? []).Select(b => b.Name).ToHashSet(StringComparer.Ordinal);
        for (var i = 0; i < (spec.Backends?.Count ?? 0); i++)
        {
            checks.Ref($"spec.backends[{i}].storageRef", spec.Backends![i].StorageRef);
            checks.Ref($"spec.backends[{i}].retentionPolicy", spec.Backends![i].RetentionPolicy);
        }

        checks.Unique("spec.sessions", spec.Sessions, s => s.Name, "session");
        for (var i = 0; i < (spec.Sessions?.Count ?? 0); i++)
        {
            var session = spec.Sessions![i];
            var path = $"spec.sessions[{i}]";
            Scheduler(checks, $"{path}.scheduler", session.Scheduler);
            Retry(checks, path, session.FailurePolicy, session.RetryConfig);
            checks.Duration($"{path}.timeout", session.Timeout, positive: true);
            checks.AtLeast($"{path}.sessionHistoryLimit", session.SessionHistoryLimit, 0);
            for (var r = 0; r < (session.Repositories?.Count ?? 0); r++)
            {
                var repository = session.Repositories![r];
                if (repository.Backend.Length > 0 && !backends.Contains(repository.Backend))
                {
                    checks.Add($"{path}.repositories[{r}].backend", $"names no backend of spec.backends: \"{repository.Backend}\"");
                }

                checks.RelativePath($"{path}.repositories[{r}].directory", repository.Directory);
                checks.Ref($"{path}.repositories[{r}].encryptionSecret", repository.EncryptionSecret);
            }
        }
    }

    private static void Snapshot(FieldChecks checks, SnapshotSpec? spec)
    {
        if (spec is null) return;
        checks.TypedRef("spec.appRef", spec.AppRef);
        checks.Unique("spec.components", spec.Components, c => c.Name, "component");
        if (spec.SnapshotTime is { Created: { } created, LastUpdated: { } updated } && updated < created)
        {
            checks.Add("spec.snapshotTime.lastUpdated", "must not be before spec.snapshotTime.created");
        }

        for (var i = 0; i < (spec.Components?.Count ?? 0); i++)
        {
            var component = spec.Components![i];
            checks.RelativePath($"spec.components[{i}].path", component.Path);
            if (component.WalSegment is { Start: { } start, End: { } end } && end < start)
            {
                checks.Add($"spec.components[{i}].walSegment.end", "must not be before walSegment.start");
            }
        }
    }

    /// <summary>The endpoint annotation (<see cref="BackupStorage.EndpointAnnotation"/>): an absolute http(s) URI, on an azure or gcs storage.</summary>
    private static void StorageEndpoint(FieldChecks checks, BackupStorage storage)
    {
        if (storage.Endpoint is not { } endpoint) return;
        var field = $"metadata.annotations.{BackupStorage.EndpointAnnotation}";
        if (storage.Spec?.Storage?.Provider is { } provider and not (StorageProvider.Azure or StorageProvider.Gcs))
        {
            checks.Add(field, $"is for azure and gcs storages; {(provider == StorageProvider.S3 ? "an" : "a")} {provider.ToString().ToLowerInvariant()} storage has none{(provider == StorageProvider.S3 ? " (set spec.storage.s3.endpoint)" : "")}");
        }
        else if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            checks.Add(field, $"must be an absolute http or https URI, not \"{endpoint}\"");
        }
    }

    private static void Storage(FieldChecks checks, BackupStorageSpec? spec)
    {
        if (spec?.Storage is not { } storage) return;
        var blocks = new (StorageProvider Provider, string Field, object? Block)[]
        {
            (StorageProvider.Local, "local", storage.Local),
            (StorageProvider.S3, "s3", storage.S3),
            (StorageProvider.Gcs, "gcs", storage.Gcs),
            (StorageProvider.Azure, "azure", storage.Azure),
        };
        foreach (var (provider, field, block) in blocks)
        {
            if (provider == storage.Provider && block is null) checks.Add($"spec.storage.{field}", $"required when provider is {field}");
            if (provider != storage.Provider && block is not null && storage.Provider is not null)
            {
                checks.Add($"spec.storage.{field}", $"is used only when provider is {field}, and provider is {EnumNames.NameOf(storage.Provider.Value)}");
            }
        }

        if (storage.Local is { } local && local.MountPath.Length > 0 && !local.MountPath.StartsWith('/'))
        {
            checks.Add("spec.storage.local.mountPath", $"must be an absolute path, not \"{local.MountPath}\"");
        }

        if (storage.S3 is { } s3)
        {
            if (s3.Endpoint.Length > 0 && !(Uri.TryCreate(s3.Endpoint, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"))
            {
                checks.Add("spec.storage.s3.endpoint", $"must be an http or https URL, not \"{s3.Endpoint}\"");
            }

            if (s3.Bucket.Length > 0 && !BucketName().IsMatch(s3.Bucket))
            {
                checks.Add("spec.storage.s3.bucket", $"must be 3 to 63 lower-case letters, digits, '-' or '.', starting and ending with a letter or digit, not \"{s3.Bucket}\"");
            }

            checks.RelativePath("spec.storage.s3.prefix", s3.Prefix);
            checks.Name("spec.storage.s3.secretName", s3.SecretName);
        }

        if (storage.Gcs is { } gcs)
        {
            checks.RelativePath("spec.storage.gcs.prefix", gcs.Prefix);
            checks.AtLeast("spec.storage.gcs.maxConnections", gcs.MaxConnections, 1);
        }

        if (storage.Azure is { } azure)
        {
            checks.RelativePath("spec.storage.azure.prefix", azure.Prefix);
            checks.AtLeast("spec.storage.azure.maxConnections", azure.MaxConnections, 1);
        }

        checks.Namespaces("spec.usagePolicy.allowedNamespaces", spec.UsagePolicy?.AllowedNamespaces);
        checks.Ref("spec.encryptionSecret", spec.EncryptionSecret);
    }

    private static void Retention(FieldChecks checks, RetentionPolicySpec? spec)
    {
        if (spec is null) return;
        checks.Retention("spec.maxRetentionPeriod", spec.MaxRetentionPeriod, allowHours: true);
        if (spec.SuccessfulSnapshots is { } kept)
        {
            checks.AtLeast("spec.successfulSnapshots.last", kept.Last, 0);
            checks.AtLeast("spec.successfulSnapshots.hourly", kept.Hourly, 0);
            checks.AtLeast("spec.successfulSnapshots.daily", kept.Daily, 0);
            checks.AtLeast("spec.successfulSnapshots.weekly", kept.Weekly, 0);
            checks.AtLeast("spec.successfulSnapshots.monthly", kept.Monthly, 0);
            checks.AtLeast("spec.successfulSnapshots.yearly", kept.Yearly, 0);
        }

        checks.AtLeast("spec.failedSnapshots.last", spec.FailedSnapshots?.Last, 0);
        checks.Namespaces("spec.usagePolicy.allowedNamespaces", spec.UsagePolicy?.AllowedNamespaces);
    }

    /// <summary>An S3 bucket's name as <see cref="Storage"/> checks it, for a CRD schema (empty is left to the rule that requires it).</summary>
    public const string BucketNamePattern = "^$|" + BucketNameOnly;

    private const string BucketNameOnly = "^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$";

    [System.Text.RegularExpressions.GeneratedRegex(BucketNameOnly)]
    private static partial System.Text.RegularExpressions.Regex BucketName();
}
