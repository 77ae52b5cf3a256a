// What this kernel library hands ILGPU to compile: every element-op struct instantiated into the grid-stride driver, and every
// other method marked [DeviceKernel] (the row, loss and reduction kernels the launchers load themselves). Read by reflection,
// so a new op struct is in the list without anyone adding it; the PTX test checks the marked methods against the ones the
// launchers actually pass to ILGPU's Load*Kernel, and compiles each entry for NVIDIA GPUs without a driver.
using System.Reflection;
using ILGPU;

namespace Rebel.Accelerators.Kernels;

/// <summary>Marks a static method that a launcher passes to ILGPU's <c>LoadStreamKernel</c> or <c>LoadAutoGroupedStreamKernel</c>.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
internal sealed class DeviceKernelAttribute : Attribute;

/// <summary>
/// One kernel as ILGPU compiles it: the method (generic ones instantiated), and whether ILGPU groups it (its first parameter is
/// an index, loaded with <c>LoadAutoGroupedStreamKernel</c>) or the launcher chooses groups and grid (<c>LoadStreamKernel</c>).
/// </summary>
internal sealed record KernelEntryPoint(string Name, MethodInfo Method, bool ImplicitlyGrouped);

public sealed partial class DeviceKernels
{
    private const BindingFlags AnyStatic = BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly;

    /// <summary>The grid-stride driver that runs every <see cref="IElementOp"/> (a generic method definition).</summary>
    internal static MethodInfo GridStrideDriver { get; } =
        typeof(DeviceKernels).GetMethod(nameof(GridStrideKernel), AnyStatic) ?? throw new InvalidOperationException("GridStrideKernel not found.");

    /// <summary>Every struct of this assembly implementing <see cref="IElementOp"/>, by name.</summary>
    internal static IReadOnlyList<Type> ElementOps() =>
        [.. typeof(DeviceKernels).Assembly.GetTypes()
            .Where(t => t.IsValueType && !t.ContainsGenericParameters && typeof(IElementOp).IsAssignableFrom(t))
            .OrderBy(t => t.Name, StringComparer.Ordinal)];

    /// <summary>Every static method of this assembly marked <see cref="DeviceKernelAttribute"/>, by name.</summary>
    internal static IReadOnlyList<MethodInfo> MarkedKernels() =>
        [.. typeof(DeviceKernels).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods(AnyStatic))
            .Where(m => m.IsDefined(typeof(DeviceKernelAttribute)))
            .OrderBy(m => m.Name, StringComparer.Ordinal)];

    /// <summary>Every kernel this library can launch: the grid-stride driver once per element op, then the marked kernels.</summary>
    internal static IReadOnlyList<KernelEntryPoint> EntryPoints() =>
        [.. ElementOps().Select(op => Entry($"{nameof(GridStrideKernel)}<{op.Name}>", GridStrideDriver.MakeGenericMethod(op))),
            .. MarkedKernels().Select(m => Entry(m.Name, m))];

    private static KernelEntryPoint Entry(string name, MethodInfo method)
    {
        var parameters = method.GetParameters();
        bool implicitlyGrouped = parameters.Length > 0 && typeof(IIndex).IsAssignableFrom(parameters[0].ParameterType);
        return new KernelEntryPoint(name, method, implicitlyGrouped);
    }
}
