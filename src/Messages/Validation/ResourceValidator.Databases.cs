using Archiver.Messages.Resources;

namespace Archiver.Messages.Validation;

public static partial class ResourceValidator
{
    private static void OpsRequest(FieldChecks checks, MongoDBOpsRequestSpec? spec)
    {
        if (spec is null) return;
        checks.Name("spec.databaseRef.name", spec.DatabaseRef?.Name);
        if (spec.Type == OpsRequestType.Backup && spec.Archiver is null)
        {
            checks.Add("spec.archiver", "required when type is Backup: say which operation (ConfigureArchiver or DisableArchiver) and which archiver");
        }

        checks.Ref("spec.archiver.ref", spec.Archiver?.Ref);
        checks.Duration("spec.timeout", spec.Timeout, positive: true);
    }

    private static void Database(FieldChecks checks, MongoDB db)
    {
        if (db.Metadata.Annotations?.TryGetValue(ApiGroups.SpecHashAnnotation, out var hash) == true && !Configuration.SpecHash.IsWellFormed(hash))
        {
            checks.Add($"metadata.annotations.{ApiGroups.SpecHashAnnotation}", $"must be {Configuration.SpecHash.Length} lower-case hex digits as Archiver writes it, not \"{hash}\"");
        }

        if (db.Spec is not { } spec) return;
        checks.Ref("spec.archiver.ref", spec.Archiver?.Ref);
        if (spec.Init?.Archiver is { } recovery)
        {
            checks.Ref("spec.init.archiver.repository", recovery.Repository);
            checks.Ref("spec.init.archiver.encryptionSecret", recovery.EncryptionSecret);
            checks.Ref("spec.init.archiver.fullDBRepository", recovery.FullDBRepository);
            checks.Ref("spec.init.archiver.manifestRepository", recovery.ManifestRepository);
            checks.RelativePath("spec.init.archiver.prefix", recovery.Prefix);
        }
    }
}
