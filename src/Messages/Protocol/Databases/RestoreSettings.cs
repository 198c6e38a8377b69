namespace Archiver.Messages.Protocol.Databases;

/// <summary>
/// How a database is restored besides where to: read once from its resource when the restore is requested
/// (<see cref="DatabasesAnnotation"/>, <see cref="ConnectionSecretAnnotation"/>), checked then, and recorded with the
/// request, so a restore taken up again later runs with what it started with, whatever the annotations say by then.
/// </summary>
/// <param name="Databases">Which source databases, under which names; null or empty restores every database under its own name.</param>
/// <param name="ConnectionSecret">The secret (its <c>uri</c> key) to connect with instead of KubeDB's auth secret.</param>
/// <param name="UsersAndRoles">Whether the users and roles defined on the restored databases come along (mapped likewise).</param>
public sealed record RestoreSettings(IReadOnlyList<DatabaseMapping>? Databases, string? ConnectionSecret, bool UsersAndRoles = true)
{
    /// <summary><c>shop=shop_copy,crm</c>: restore only these source databases, under new names where given (as mongorestore's <c>--nsFrom/--nsTo</c>).</summary>
    public const string DatabasesAnnotation = "archiver.kubedb.com/restore-databases";

    /// <summary>A secret whose <c>uri</c> key is the connection string to use.</summary>
    public const string ConnectionSecretAnnotation = "archiver.kubedb.com/connection-secret";

    /// <summary><c>"false"</c> leaves the users and roles of the restored databases out; <c>"true"</c> (the default) brings them.</summary>
    public const string UsersAndRolesAnnotation = "archiver.kubedb.com/restore-users-and-roles";

    public static RestoreSettings Default { get; } = new(null, null);

    /// <summary>The settings an object's annotations ask for, or the reason they cannot be used (naming the annotation).</summary>
    public static (RestoreSettings? Settings, string? Error) FromAnnotations(IDictionary<string, string>? annotations)
    {
        if (annotations is null) return (Default, null);
        IReadOnlyList<DatabaseMapping>? databases = null;
        if (annotations.TryGetValue(DatabasesAnnotation, out var text) && !string.IsNullOrWhiteSpace(text))
        {
            try
            {
                databases = ParseDatabaseMap(text).OrderBy(m => m.Key, StringComparer.Ordinal).Select(m => new DatabaseMapping(m.Key, m.Value)).ToList();
            }
            catch (FormatException e)
            {
                return (null, e.Message);
            }
        }

        var secret = annotations.TryGetValue(ConnectionSecretAnnotation, out var name) && !string.IsNullOrWhiteSpace(name) ? name : null;
        var users = true;
        if (annotations.TryGetValue(UsersAndRolesAnnotation, out var flag) && !bool.TryParse(flag, out users))
        {
            return (null, $"{UsersAndRolesAnnotation}: must be \"true\" or \"false\", not \"{flag}\"");
        }

        return (new RestoreSettings(databases, secret, users), null);
    }

    /// <summary><c>a=b,c</c> → {a→b, c→c}; names are checked so a typo fails before anything is written.</summary>
    public static IReadOnlyDictionary<string, string> ParseDatabaseMap(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var item in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = item.Split('=', StringSplitOptions.TrimEntries);
            var (from, to) = parts.Length switch
            {
                1 => (parts[0], parts[0]),
                2 => (parts[0], parts[1]),
                _ => throw new FormatException($"{DatabasesAnnotation}: '{item}' is not 'source' or 'source=target'"),
            };
            foreach (var name in new[] { from, to })
            {
                // A MongoDB database name (https://www.mongodb.com/docs/manual/reference/limits/#naming-restrictions),
                // and not one of MongoDB's own, which a restore never writes.
                if (name.Length == 0 || name.IndexOfAny(['/', '\\', '.', ' ', '"', '$']) >= 0 || name is "admin" or "config" or "local")
                {
                    throw new FormatException($"{DatabasesAnnotation}: '{name}' is not a database this restore may write");
                }
            }

            map[from] = to;
        }

        return map.Count > 0 ? map : throw new FormatException($"{DatabasesAnnotation}: names no database");
    }
}

/// <summary>A source database restored, under <paramref name="Target"/>.</summary>
public sealed record DatabaseMapping(string Source, string Target);
