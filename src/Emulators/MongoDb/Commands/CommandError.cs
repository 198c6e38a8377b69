using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Commands;

/// <summary>A command failure that becomes an <c>{ok:0, code, codeName, errmsg}</c> reply.</summary>
internal sealed class CommandError : Exception
{
    public CommandError(ErrorCode code, string message, params string[] labels)
        : base(message)
    {
        Code = code;
        Labels = labels;
    }

    public ErrorCode Code { get; }

    public IReadOnlyList<string> Labels { get; }

    public BsonDocument ToReply()
    {
        var reply = new BsonDocument
        {
            { "ok", 0.0 },
            { "errmsg", Message },
            { "code", (int)Code },
            { "codeName", CodeName(Code) },
        };
        if (Labels.Count > 0)
        {
            reply["errorLabels"] = new BsonArray(Labels);
        }

        return reply;
    }

    public BsonDocument ToWriteError(int index) => new()
    {
        { "index", index },
        { "code", (int)Code },
        { "codeName", CodeName(Code) },
        { "errmsg", Message },
    };

    /// <summary>MongoDB's names for its codes; the numeric ones without a name keep the "Location" prefix.</summary>
    public static string CodeName(ErrorCode code) => code switch
    {
        ErrorCode.IdlUnknownField => "IDLUnknownField",
        ErrorCode.DuplicateKey or ErrorCode.NotWritablePrimary or ErrorCode.NotPrimaryNoSecondaryOk => code.ToString(),
        _ when (int)code >= 1000 => $"Location{(int)code}",
        _ => code.ToString(),
    };
}
