using System.Runtime.CompilerServices;

namespace Gateway.Tests;

internal static class TestAssemblySetup
{
    /// <summary>
    /// The test host parks two thread-pool threads in blocking loops of its own, and the gateways, backends and
    /// clients under test all share this process's pool. On a 2-core machine that leaves one thread, and every
    /// burst of I/O would wait for the pool to grow (about a second per thread): a stall that exists only here.
    /// </summary>
    /// <para>The gateways under test run their socket continuations inline, as the published one does.</para>
    [ModuleInitializer]
    internal static void Initialize()
    {
        ThreadPool.SetMinThreads(Math.Max(32, Environment.ProcessorCount * 4), Math.Max(32, Environment.ProcessorCount * 4));
        Hosting.InlineIo.Enable();
    }
}
