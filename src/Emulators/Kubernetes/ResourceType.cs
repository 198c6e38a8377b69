using System.Text.Json.Nodes;

namespace Archiver.Emulators.Kubernetes;

/// <summary>
/// One kind the emulator serves at one group version: what discovery says of it (an APIResource of
/// kubernetes/apimachinery <c>pkg/apis/meta/v1/types.go</c>) and the rules its storage follows. Built-in kinds are
/// listed in <see cref="BuiltInResources"/>; a custom resource's comes from its CustomResourceDefinition.
/// </summary>
internal sealed record ResourceType(string Group, string Version, string Plural, string Singular, string Kind, bool Namespaced)
{
    public static readonly IReadOnlyList<string> AllVerbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

    public IReadOnlyList<string> ShortNames { get; init; } = [];

    public IReadOnlyList<string> Categories { get; init; } = [];

    public IReadOnlyList<string> Verbs { get; init; } = AllVerbs;

    /// <summary>Has the status subresource: the main resource then keeps the stored status, <c>/status</c> writes only it.</summary>
    public bool HasStatus { get; init; }

    /// <summary>
    /// Served from a CustomResourceDefinition: refuses an update without a resourceVersion and a strategic merge
    /// patch, as the API server's custom resource handler does.
    /// </summary>
    public bool IsCustom { get; init; }

    /// <summary>The columns of a Table after Name (a CRD's additionalPrinterColumns; Age for most built-ins).</summary>
    public IReadOnlyList<PrinterColumn> Columns { get; init; } = [PrinterColumn.Age];

    /// <summary>A custom resource's <c>openAPIV3Schema</c>, served under <c>/openapi/v3</c>.</summary>
    public JsonObject? Schema { get; init; }

    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    /// <summary><c>mongodbs.kubedb.com</c>, <c>secrets</c>: how errors and RBAC messages name the resource.</summary>
    public string Qualified => Group.Length == 0 ? Plural : $"{Plural}.{Group}";

    /// <summary>The kind as validation errors name it: <c>StatefulSet.apps</c>, <c>Pod</c>.</summary>
    public string QualifiedKind => Group.Length == 0 ? Kind : $"{Kind}.{Group}";
}

/// <summary>
/// A Table column: a CRD's <c>additionalPrinterColumns</c> entry (a simple JSONPath into the object), or a built-in
/// printer's computed column.
/// </summary>
internal sealed record PrinterColumn(string Name, string Type, string JsonPath, string Description = "", int Priority = 0, string Format = "")
{
    /// <summary>What a CRD without additionalPrinterColumns shows after Name (apiextensions-apiserver's default).</summary>
    public static readonly PrinterColumn Age = new("Age", "date", ".metadata.creationTimestamp",
        "CreationTimestamp is a timestamp representing the server time when this object was created.");

    /// <summary>For built-in columns no JSONPath expresses (a count, a ratio): computes the cell from the object.</summary>
    public Func<JsonObject, JsonNode?>? Compute { get; init; }
}
