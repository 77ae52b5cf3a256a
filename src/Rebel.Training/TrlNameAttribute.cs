// TRL's name for an options property where TRL's name is another flag of `rebel train` (e.g. GRPO's KL coefficient, which TRL
// calls beta while --beta is online DPO's β): the CLI names the right flag when the TRL name is given for this algorithm.
namespace Rebel.Training;

/// <summary>
/// The name TRL's config gives this setting of this algorithm (snake_case, e.g. "beta"), where it cannot be an alias because another
/// algorithm's flag has that name.
/// </summary>
[AttributeUsage(AttributeTargets.Property, Inherited = true)]
public sealed class TrlNameAttribute(string name) : Attribute
{
    /// <summary>TRL's name, snake_case.</summary>
    public string Name { get; } = name;
}
