// Learning-rate schedules as pure functions of the step: constant, linear decay, cosine, each with linear warmup.
namespace Rebel.Tensors.Optim;

/// <summary>The shape of the learning-rate curve after warmup.</summary>
public enum LrScheduleKind
{
    /// <summary>Flat at the peak rate.</summary>
    Constant,
    /// <summary>Linear from the peak to zero at step TotalSteps, one past the last 0-based step (REBEL's authors' choice, as Hugging Face's linear schedule).</summary>
    Linear,
    /// <summary>Half-cosine from the peak to zero at step TotalSteps.</summary>
    Cosine,
}

/// <summary>Learning rate at step s (0-based) of <paramref name="TotalSteps"/>, after <paramref name="WarmupSteps"/> linear warmup from 0.</summary>
public sealed record LrSchedule(LrScheduleKind Kind, float PeakLearningRate, int TotalSteps, int WarmupSteps = 0)
{
    /// <summary>The rate for step <paramref name="step"/>.</summary>
    public float At(long step)
    {
        if (WarmupSteps > 0 && step < WarmupSteps) return PeakLearningRate * (step + 1) / WarmupSteps;
        int decaySteps = Math.Max(TotalSteps - WarmupSteps, 1);
        double progress = Math.Clamp((double)(step - WarmupSteps) / decaySteps, 0, 1);
        return Kind switch
        {
            LrScheduleKind.Constant => PeakLearningRate,
            LrScheduleKind.Linear => (float)(PeakLearningRate * (1 - progress)),
            _ => (float)(PeakLearningRate * 0.5 * (1 + Math.Cos(Math.PI * progress))),
        };
    }

    /// <summary>Parses "constant", "linear" or "cosine".</summary>
    public static LrScheduleKind ParseKind(string name) => name.ToLowerInvariant() switch
    {
        "constant" => LrScheduleKind.Constant,
        "linear" => LrScheduleKind.Linear,
        "cosine" => LrScheduleKind.Cosine,
        _ => throw new ArgumentException($"Unknown learning-rate schedule '{name}' (expected constant, linear or cosine)."),
    };
}
