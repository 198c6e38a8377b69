namespace Archiver.Storage.Catalog;

/// <summary>Either a plan or the reason there is none; never both.</summary>
public sealed record RestorePlanResult(RestorePlan? Plan, PlanRefusal? Refusal)
{
    public bool IsPossible => Plan is not null;

    public static RestorePlanResult Of(RestorePlan plan) => new(plan, null);

    public static RestorePlanResult Refused(PlanRefusal refusal) => new(null, refusal);
}
