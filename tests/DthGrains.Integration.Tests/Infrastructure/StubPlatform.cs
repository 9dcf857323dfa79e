using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace DthGrains.Integration.Tests.Infrastructure;

/// <summary>
/// A loopback server that answers every request with <paramref name="answer"/>: the platform as a CLI test needs it
/// to misbehave (an error, an answer that never comes, a download cut short), which the real one does not on demand.
/// </summary>
public sealed class StubPlatform(WebApplication server, Uri address) : IAsyncDisposable
{
    public Uri Address { get; } = address;

    /// <summary>The address as <c>--url</c> takes it, without the trailing slash.</summary>
    public string Url => Address.ToString().TrimEnd('/');

    public static async Task<StubPlatform> StartAsync(RequestDelegate answer)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var server = builder.Build();
        server.Run(answer);
        await server.StartAsync();
        return new StubPlatform(server, new Uri(server.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()));
    }

    /// <summary>Writes a ProblemDetails answer, as the platform's errors are.</summary>
    public static async Task ProblemAsync(HttpContext http, int status, string title)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/problem+json";
        await http.Response.WriteAsync($$"""{"title":"{{title}}","status":{{status}}}""");
    }

    public async ValueTask DisposeAsync() => await server.DisposeAsync();
}
