using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace DthGrains.Integration.Tests.Governance;

public static class GovernanceTestData
{
    public static object Application(string[] datasets, string purpose = "scientific-research", string[]? actions = null, string[]? persons = null, int months = 12) => new
    {
        title = "Glucose control under meal variability",
        purpose,
        intendedUse = "Calibrate digital twins of adults with type 1 diabetes and test meal plans.",
        expectedBenefit = "Safer meal-time insulin dosing.",
        datasets,
        actions = actions ?? ["read", "simulate"],
        pseudonymised = true,
        pseudonymisationJustification = "Per-subject time series must be linked across days.",
        safeguards = "Processing on the platform only; no download of subject-level data.",
        processingMonths = months,
        persons = persons ?? [],
        tools = "runs on this platform",
    };

    public static StringContent Body(object value) => new(JsonSerializer.Serialize(value), Encoding.UTF8, "application/json");

    public static async Task<JsonElement> JsonOf(HttpResponseMessage response) => await response.Content.ReadFromJsonAsync<JsonElement>();

    public static HttpRequestMessage Decision(string id, string etag, bool approve, string reason = "Purpose and safeguards are adequate.", string[]? conditions = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/access/requests/{id}/decision") { Content = Body(new { approve, reason, conditions = conditions ?? [] }) };
        request.Headers.TryAddWithoutValidation("If-Match", etag);
        return request;
    }

    public static HttpRequestMessage WithIfMatch(HttpMethod method, string path, object body, string etag)
    {
        var request = new HttpRequestMessage(method, path) { Content = Body(body) };
        request.Headers.TryAddWithoutValidation("If-Match", etag);
        return request;
    }
}
