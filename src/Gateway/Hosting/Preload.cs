using System.Net;
using System.Net.Sockets;

namespace Gateway.Hosting;

/// <summary>
/// Loads at start what the connection paths would otherwise load on first use. Each assembly or native module costs
/// descriptors to open, so the first use could come during a flood that has taken them all, and a failed assembly load
/// is remembered for the life of the process: every later dial, request or log line would fail the same way.
/// </summary>
internal static class Preload
{
    public static void Run()
    {
        // Name resolution (BackendDialer, health checks, HttpClient): System.Net.NameResolution, and the C library's
        // resolver modules (nsswitch) that a first lookup opens.
        try
        {
            _ = Dns.GetHostAddresses("localhost");
        }
        catch (SocketException)
        {
            // A machine without "localhost" resolves nothing here; the code is loaded all the same.
        }

        // An exception logged with its stack trace reads the symbols: System.Diagnostics.StackTrace,
        // System.Reflection.Metadata and Gateway.pdb.
        try
        {
            throw new InvalidOperationException("preload");
        }
        catch (InvalidOperationException e)
        {
            _ = e.ToString();
        }

        // Assemblies that the first L7 request (HttpClient's decompression handler, YARP's upgrade handling, routing's
        // endpoint metadata, the query parser, the JSON access log's escaping), the first reload (the file provider's
        // globbing) and the admin listener's first use (its endpoints' results, validation and expressions: an
        // operator opens /stats during the flood) load. DescriptorExhaustionTests checks that serving each kind of
        // connection maps no assembly the start did not.
        _ = typeof(System.IO.Compression.DeflateStream).Assembly;
        _ = typeof(System.Net.WebSockets.WebSocket).Assembly;
        _ = typeof(System.Runtime.Loader.AssemblyLoadContext).Assembly;
        _ = typeof(Microsoft.Extensions.FileSystemGlobbing.Matcher).Assembly;
        _ = typeof(Microsoft.AspNetCore.Authorization.IAllowAnonymous).Assembly;
        _ = typeof(Microsoft.AspNetCore.WebUtilities.QueryHelpers).Assembly;
        _ = typeof(System.Text.Encodings.Web.JavaScriptEncoder).Assembly;
        _ = typeof(Microsoft.AspNetCore.Http.HttpResults.Ok).Assembly;
        _ = System.Reflection.Assembly.Load("Microsoft.Extensions.Validation"); // its types are marked experimental
        _ = typeof(System.Linq.Expressions.Expression).Assembly;
    }
}
