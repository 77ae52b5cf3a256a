// Every kernel the library launches compiles to PTX for NVIDIA GPUs, checked without a GPU or driver: ILGPU's PTX backend turns
// kernel IL into PTX in managed code (only loading the PTX needs libcuda). The kernel list is the library's own catalog, and a scan
// of the library's IL checks it against what the launchers really pass to ILGPU's Load*Kernel and DeviceKernels.Run.
using System.Reflection;
using System.Reflection.Emit;
using ILGPU;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace Rebel.Accelerators.Tests;

public sealed class PtxCompilationTests
{
    [Fact]
    public void The_catalog_is_every_kernel_the_launchers_load()
    {
        var scan = KernelLoadScan.Of(typeof(DeviceKernels).Assembly);

        // Load*Kernel receives the grid-stride driver (from Run<TOp>) and the marked kernels, nothing else.
        var expected = DeviceKernels.MarkedKernels().Append(DeviceKernels.GridStrideDriver).Select(Describe).Order().ToArray();
        Assert.Equal(expected, scan.LoadedKernels.Select(Describe).Order().ToArray());

        // Run<TOp> is called with every element-op struct, and only with those.
        var ops = DeviceKernels.ElementOps();
        Assert.NotEmpty(ops);
        Assert.Equal(ops.Select(t => t.Name).ToArray(), scan.ElementOps.Select(t => t.Name).Order(StringComparer.Ordinal).ToArray());

        var entries = DeviceKernels.EntryPoints();
        Assert.Equal(ops.Count + scan.LoadedKernels.Count - 1, entries.Count);
        Assert.Equal(entries.Count, entries.Select(e => e.Name).Distinct().Count());
    }

    /// <summary>
    /// GPU (compute capability), the CUDA driver version ILGPU picks the PTX ISA for, and the <c>.target</c> ILGPU 1.5.3 writes:
    /// its CudaCapabilityContext caps the target at sm_80 (the newest architecture whose features it uses), so Hopper gets sm_80
    /// PTX that the driver compiles for sm_90 when loading it, as it would on a real H100/H200.
    /// </summary>
    public static TheoryData<int, int, int, int, string> Targets => new()
    {
        { 9, 0, 12, 0, "sm_80" }, // H100/H200 under the oldest CUDA 12 driver: PTX ISA 8.0
        { 9, 0, 13, 0, "sm_80" }, // H100/H200 under a CUDA 13 driver: the newest ISA ILGPU 1.5.3 knows, 8.8
        { 8, 0, 12, 0, "sm_80" }, // A100
    };

    [Theory]
    [MemberData(nameof(Targets))]
    public void Every_kernel_compiles_to_ptx(int major, int minor, int driverMajor, int driverMinor, string target)
    {
        // The backend as ILGPU's CudaAccelerator builds it for a device of this architecture (CudaDevice.InitArchitectureInfo):
        // capabilities from the architecture, the ISA from the capabilities' target and the driver, no NVVM.
        var architecture = new CudaArchitecture(major, minor);
        var capabilities = new CudaCapabilityContext(architecture);
        Assert.True(CudaAccelerator.TryGetInstructionSet(capabilities.TargetArchitecture, CudaDriverVersion.FromMajorMinor(driverMajor, driverMinor), out _, out var isa),
            $"ILGPU 1.5.3 has no PTX ISA for {architecture} under a CUDA {driverMajor}.{driverMinor} driver.");
        // A failed compilation can leave the context's caches broken, so each failure gets a fresh context for the kernels after it.
        Context? context = null;
        PTXBackend? backend = null;
        void Open()
        {
            backend?.Dispose();
            context?.Dispose();
            context = Context.Create(b => AcceleratorDevice.WithKernelSettings(b));
            backend = new PTXBackend(context, capabilities, architecture, isa, null!);
        }
        Open();

        var failures = new List<string>();
        var kernels = DeviceKernels.EntryPoints();
        foreach (var kernel in kernels)
        {
            var entry = kernel.ImplicitlyGrouped
                ? EntryPointDescription.FromImplicitlyGroupedKernel(kernel.Method)
                : EntryPointDescription.FromExplicitlyGroupedKernel(kernel.Method);
            try
            {
                var specialization = KernelSpecialization.Empty;
                string ptx = ((PTXCompiledKernel)backend!.Compile(entry, specialization)).PTXAssembly;
                var lines = ptx.Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
                if (!lines.Any(l => l.StartsWith(".visible .entry ", StringComparison.Ordinal)))
                    failures.Add($"{kernel.Name}: the PTX ({ptx.Length} characters) has no .entry");
                else if (!lines.Contains($".version {isa}") || !lines.Contains($".target {target}"))
                    failures.Add($"{kernel.Name}: the PTX header is not .version {isa}, .target {target}: {string.Join(" | ", lines.Where(l => l.StartsWith('.')).Take(3))}");
            }
            catch (Exception e)
            {
                failures.Add($"{kernel.Name}: {e.GetBaseException().Message}");
                Open();
            }
        }
        backend!.Dispose();
        context!.Dispose();
        Assert.True(failures.Count == 0, $"{failures.Count} of {kernels.Count} kernels fail for {architecture} (PTX ISA {isa}):\n{string.Join("\n", failures)}");
    }

    private static string Describe(MethodInfo m) => $"{m.DeclaringType?.Name}.{m.Name}";

    /// <summary>
    /// The methods an assembly's IL passes to ILGPU's Load*Kernel (the <c>ldftn</c> before each such call: C# builds the kernel
    /// delegate right before the call, caching it in a static field in between) and the types it instantiates DeviceKernels.Run with.
    /// </summary>
    private sealed class KernelLoadScan
    {
        private static readonly Dictionary<short, OpCode> OpCodeByValue = typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Select(f => (OpCode)f.GetValue(null)!).ToDictionary(o => o.Value);

        public List<MethodInfo> LoadedKernels { get; } = [];

        public List<Type> ElementOps { get; } = [];

        public static KernelLoadScan Of(Assembly assembly)
        {
            var scan = new KernelLoadScan();
            var run = typeof(DeviceKernels).GetMethod("Run", BindingFlags.Instance | BindingFlags.NonPublic)!;
            const BindingFlags all = BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly;
            foreach (var type in assembly.GetTypes())
                foreach (var method in type.GetMethods(all).Cast<MethodBase>().Concat(type.GetConstructors(all)))
                    scan.Read(method, run);
            return scan;
        }

        private void Read(MethodBase method, MethodInfo run)
        {
            var il = method.GetMethodBody()?.GetILAsByteArray();
            if (il is null) return;
            Type[]? typeArgs = method.DeclaringType is { IsGenericType: true } d ? d.GetGenericArguments() : null;
            Type[]? methodArgs = method.IsGenericMethod ? method.GetGenericArguments() : null;
            MethodBase? pending = null; // the last ldftn target not yet followed by a call
            for (int at = 0; at < il.Length;)
            {
                short value = il[at] == 0xFE ? (short)(0xFE00 | il[at + 1]) : il[at];
                var op = OpCodeByValue[value];
                at += op.Size;
                int token = op.OperandType is OperandType.InlineMethod ? BitConverter.ToInt32(il, at) : 0;
                at += OperandSize(op, il, at);
                if (token == 0) continue;
                var target = method.Module.ResolveMethod(token, typeArgs, methodArgs)!;
                if (op == OpCodes.Ldftn)
                {
                    pending = target;
                    continue;
                }
                if (op != OpCodes.Call && op != OpCodes.Callvirt) continue;
                if (target.DeclaringType?.Assembly == typeof(Accelerator).Assembly && target.Name.StartsWith("Load", StringComparison.Ordinal) && target.Name.EndsWith("Kernel", StringComparison.Ordinal))
                {
                    Assert.True(pending is MethodInfo, $"{method.DeclaringType?.Name}.{method.Name} calls {target.Name} with a kernel this scan cannot see (not a method group).");
                    var kernel = (MethodInfo)pending!;
                    if (kernel.IsGenericMethod) kernel = kernel.GetGenericMethodDefinition();
                    if (!LoadedKernels.Contains(kernel)) LoadedKernels.Add(kernel);
                }
                else if (target is MethodInfo { IsGenericMethod: true } m && m.GetGenericMethodDefinition() == run)
                {
                    var opType = m.GetGenericArguments()[0];
                    if (!opType.IsGenericParameter && !ElementOps.Contains(opType)) ElementOps.Add(opType);
                }
                pending = null;
            }
        }

        private static int OperandSize(OpCode op, byte[] il, int at) => op.OperandType switch
        {
            OperandType.InlineNone => 0,
            OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
            OperandType.InlineVar => 2,
            OperandType.InlineI8 or OperandType.InlineR => 8,
            OperandType.InlineSwitch => 4 + 4 * BitConverter.ToInt32(il, at),
            _ => 4,
        };
    }
}
