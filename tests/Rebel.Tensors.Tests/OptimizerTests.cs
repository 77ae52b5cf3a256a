// Optimizers, gradient clipping and learning-rate schedules against values computed independently.
using Rebel.Tensors;
using Rebel.Tensors.Optim;

namespace Rebel.Tensors.Tests;

public class OptimizerTests
{
    private static readonly float[][] Grads = [[0.1f, -0.2f, 0.3f], [-0.4f, 0.5f, 0.05f]];

    private static float[][] TwoSteps(Func<Tensor, Optimizer> make)
    {
        var p = Tensor.Parameter([0.5f, -1f, 2f], [3]);
        var opt = make(p);
        var result = new float[2][];
        for (int s = 0; s < 2; s++)
        {
            opt.ZeroGrad();
            Ops.Sum(Ops.Mul(p, Tensor.FromArray(Grads[s], 3))).Backward(); // gradient = Grads[s]
            opt.Step();
            result[s] = p.ToArray();
        }
        return result;
    }

    [Fact]
    public void AdamWMatchesTorch()
    {
        // Expected values from /usr/bin/python3, torch 1.13: torch.optim.AdamW([p], lr=0.1, betas=(0.9, 0.999), eps=1e-8,
        // weight_decay=0.01) on p = [0.5, -1, 2] with p.grad = [0.1, -0.2, 0.3], then [-0.4, 0.5, 0.05].
        var steps = TwoSteps(p => new AdamW([p], learningRate: 0.1f, beta1: 0.9f, beta2: 0.999f, epsilon: 1e-8f, weightDecay: 0.01f));
        GradCheck.AssertClose("adamw step 1", [0.3995000123977661, -0.8990000486373901, 1.8980000019073486], steps[0], 1e-6);
        GradCheck.AssertClose("adamw step 2", [0.45505085587501526, -0.9423225522041321, 1.8177692890167236], steps[1], 1e-6);
    }

    [Fact]
    public void SgdMomentumMatchesTorch()
    {
        // torch 1.13: torch.optim.SGD([p], lr=0.1, momentum=0.9), same parameter and gradients as above.
        var steps = TwoSteps(p => new Sgd([p], learningRate: 0.1f, momentum: 0.9f));
        GradCheck.AssertClose("sgd step 1", [0.49000000953674316, -0.9800000190734863, 1.9700000286102295], steps[0], 1e-6);
        GradCheck.AssertClose("sgd step 2", [0.5210000276565552, -1.0119999647140503, 1.9380000829696655], steps[1], 1e-6);
    }

    [Fact]
    public void ParameterWithoutGradientIsLeftAlone()
    {
        var p = Tensor.Parameter([1f, 2f], [2]);
        new AdamW([p], weightDecay: 0.5f).Step();
        Assert.Equal([1f, 2f], p.ToArray());
    }

    [Fact]
    public void ClipGradNormMatchesTorch()
    {
        // torch 1.13: clip_grad_norm_([a, b], 1.0) with a.grad = [3, 4], b.grad = [12] returns 13 and scales by 1/(13 + 1e-6).
        var a = Tensor.Parameter([0f, 0f], [2]);
        var b = Tensor.Parameter([0f], [1]);
        Ops.Add(Ops.Sum(Ops.Mul(a, Tensor.FromArray([3f, 4f], 2))), Ops.Mul(Ops.Sum(b), 12f)).Backward();
        float norm = Optimizer.ClipGradNorm([a, b], 1f);
        Assert.Equal(13f, norm, 5);
        GradCheck.AssertClose("clip a", [0.23076921701431274, 0.307692289352417], a.Grad, 1e-6);
        GradCheck.AssertClose("clip b", [0.923076868057251], b.Grad, 1e-6);
        // Below the limit nothing changes.
        Assert.Equal(13f, Optimizer.ClipGradNorm([a, b], 100f) * 13f, 4);
        GradCheck.AssertClose("unclipped a", [0.23076921701431274, 0.307692289352417], a.Grad, 1e-6);
    }

    [Fact]
    public void LearningRateSchedules()
    {
        // Warmup: step s < W gives peak·(s + 1)/W; then the decay runs over TotalSteps − W steps and reaches 0 at s = TotalSteps.
        var linear = new LrSchedule(LrScheduleKind.Linear, 1f, TotalSteps: 10, WarmupSteps: 4);
        Assert.Equal(0.25f, linear.At(0), 6);
        Assert.Equal(0.5f, linear.At(1), 6);
        Assert.Equal(1f, linear.At(3), 6);
        Assert.Equal(1f, linear.At(4), 6);
        Assert.Equal(0.5f, linear.At(7), 6);
        Assert.Equal(1f / 6, linear.At(9), 6);
        Assert.Equal(0f, linear.At(10), 6);
        Assert.Equal(0f, linear.At(50), 6);
        var cosine = new LrSchedule(LrScheduleKind.Cosine, 2f, TotalSteps: 12, WarmupSteps: 2);
        Assert.Equal(1f, cosine.At(0), 6);
        Assert.Equal(2f, cosine.At(2), 6);
        Assert.Equal(1f, cosine.At(7), 6); // midpoint of the 10 decay steps: half the peak
        Assert.Equal(1f + MathF.Cos(MathF.PI * 0.2f), cosine.At(4), 5); // progress 2/10
        Assert.Equal(0f, cosine.At(12), 6);
        var constant = new LrSchedule(LrScheduleKind.Constant, 3f, TotalSteps: 5, WarmupSteps: 3);
        Assert.Equal(1f, constant.At(0), 6);
        Assert.Equal(3f, constant.At(4), 6);
        Assert.Equal(LrScheduleKind.Cosine, LrSchedule.ParseKind("Cosine"));
        Assert.Throws<ArgumentException>(() => LrSchedule.ParseKind("step"));
    }
}
