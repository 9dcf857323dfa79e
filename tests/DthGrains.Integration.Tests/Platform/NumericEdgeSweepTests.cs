using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DthGrains.Integration.Tests.Infrastructure;
using static DthGrains.Integration.Tests.Catalogue.CatalogueTestData;
using static DthGrains.Integration.Tests.Twins.TwinTestData;

namespace DthGrains.Integration.Tests.Platform;

/// <summary>
/// Every numeric member of every JSON body in the OpenAPI document, set in an otherwise valid body to the numbers at
/// and past the edges (negative, zero, subnormal, fractional for integers, past int32 and int64, the largest doubles,
/// and past them), answers a 2xx or a 4xx, never a 5xx. A by-hand sweep found three 500s this way: a negative run
/// duration, and an infinite output step or solver setting (1e400 reads as infinity, which passed the checks and failed
/// the append). New numeric members must join the sweep: the test fails until they do.
/// </summary>
[Collection(HostCollection.Name)]
public sealed class NumericEdgeSweepTests(HostFixture fixture)
{
    private static readonly string[] Edges = ["-1", "0", "-0", "1e-320", "1.5", "2147483648", "-2147483649", "9223372036854775808", "1e308", "-1e308", "1e400", "-1e400"];

    /// <summary>A route, a valid body for it, and where its numbers are ("ranges/0/lower"; "parameters/{SIT}" for a map's value).</summary>
    private sealed record Target(string Method, string Route, Func<JsonObject> Body, params string[] Members);

    private static JsonObject Run(string kind, object extra)
    {
        var body = new JsonObject { ["kind"] = kind, ["model"] = "hovorka", ["duration"] = 60, ["outputStep"] = 30 };
        foreach (var (name, value) in JsonSerializer.SerializeToNode(extra)!.AsObject().ToList()) body[name] = value?.DeepClone();
        return body;
    }

    private static IEnumerable<Target> Targets(string twin)
    {
        yield return new("POST", "/api/runs", () => Run("cohort-trial", new
        {
            size = 10, seed = 1, shardSize = 5, percentiles = new[] { 5, 50, 95 },
            solver = new { relativeTolerance = 1e-6, absoluteTolerance = 1e-9, maxStep = 10, maxSteps = 100_000 },
        }), "duration", "outputStep", "size", "seed", "shardSize", "percentiles/0", "solver/relativeTolerance", "solver/absoluteTolerance", "solver/maxStep", "solver/maxSteps");
        yield return new("POST", "/api/runs", () => Run("sweep", new { size = 4, ranges = new[] { new { parameter = "SIT", lower = 0.001, upper = 0.01 } } }),
            "ranges/0/lower", "ranges/0/upper");
        yield return new("POST", "/api/runs", () => Run("sweep", new { ranges = new[] { new { parameter = "SIT", lower = 0.001, upper = 0.01 } }, pointsPerAxis = 2 }), "pointsPerAxis");
        yield return new("POST", "/api/runs", () => Run("monte-carlo", new { size = 4, uncertain = new[] { new { parameter = "SIT", cv = 0.2 } } }), "uncertain/0/cv");
        yield return new("POST", "/api/runs", () => Run("single", new { parameters = new Dictionary<string, double> { ["SIT"] = 0.005 } }), "parameters/{SIT}");
        yield return new("POST", "/api/runs", () => Run("single", new
        {
            plan = new { hours = 24, basalUnitsPerHour = 0.9, meals = new[] { new { atMinute = 420, carbohydrate = 40, bolusUnits = 3.0 } } },
        }), "plan/hours", "plan/basalUnitsPerHour", "plan/meals/0/atMinute", "plan/meals/0/carbohydrate", "plan/meals/0/bolusUnits");
        // A seed a client sends is refused (only the data holders' fit makes one): its numbers must still be read safely.
        yield return new("POST", "/api/runs", () => Run("cohort-trial", new
        {
            size = 10, datasets = new[] { CharitéData }, purpose = "scientific-research",
            cohortFrom = new { dataset = CharitéData, subjects = 5, excluded = 0, parameters = new[] { new { parameter = "SIT", median = 0.005, cv = 0.2 } } },
        }), "cohortFrom/subjects", "cohortFrom/excluded", "cohortFrom/parameters/0/median", "cohortFrom/parameters/0/cv");
        yield return new("POST", "/api/twins", () => JsonSerializer.SerializeToNode(new
        {
            name = "Edge twin", modelId = "hovorka-2004", questionOfInterest = "q?", contextOfUse = "Research only.", purpose = "scientific-research",
            modelInfluence = 2, decisionConsequence = 1, acceptance = new { maxMardPercent = 15.0, maxAbsBias = 1.0, minCoverage = 0.8 },
        })!.AsObject(), "modelInfluence", "decisionConsequence", "acceptance/maxMardPercent", "acceptance/maxAbsBias", "acceptance/minCoverage");
        yield return new("POST", $"/api/twins/{twin}/scenarios", () => JsonSerializer.SerializeToNode(LighterBreakfast)!.AsObject(),
            "hours", "meals/0/atMinute", "meals/0/carbohydrate", "meals/0/bolusUnits");
        yield return new("POST", $"/api/twins/{twin}/scenarios", () => JsonSerializer.SerializeToNode(new { name = "basal", hours = 24, basalUnitsPerHour = 0.9 })!.AsObject(),
            "basalUnitsPerHour");
        JsonObject Application() => JsonSerializer.SerializeToNode(Governance.GovernanceTestData.Application([CharitéData]))!.AsObject();
        yield return new("POST", "/api/access/requests", Application, "processingMonths");
        yield return new("PUT", "/api/access/requests/sweep-probe", Application, "processingMonths");
        JsonObject Dataset() => new() { ["id"] = $"edge-{Guid.NewGuid():N}"[..20], ["kind"] = "dataset", ["metadata"] = RestrictedDatasetMetadata() };
        yield return new("POST", "/api/catalogue/resources", () =>
        {
            var body = Dataset();
            body["metadata"]!["population"]!["records"] = 4;
            return body;
        }, "metadata/population/records", "metadata/population/uniqueIndividuals", "metadata/population/minTypicalAge", "metadata/population/maxTypicalAge");
        yield return new("PUT", "/api/catalogue/resources/sweep-probe/metadata", () =>
        {
            var metadata = RestrictedDatasetMetadata();
            metadata["population"]!["records"] = 4;
            return metadata;
        }, "population/records", "population/uniqueIndividuals", "population/minTypicalAge", "population/maxTypicalAge");
        yield return new("PUT", "/api/catalogue/resources/sweep-probe/versions/1.0.0/credibility", () => JsonSerializer.SerializeToNode(new
        {
            header = new { questionOfInterest = "q?", contextOfUse = "Research only.", modelInfluence = 2, decisionConsequence = 1, modelRisk = 2 },
            factors = new[] { new { factor = "model-form", required = 2, achieved = 2, evidence = new[] { "a report" } } }, level = 2,
        })!.AsObject(), "header/modelInfluence", "header/decisionConsequence", "header/modelRisk", "factors/0/required", "factors/0/achieved", "level");
        yield return new("POST", "/api/audit/verify", () => JsonSerializer.SerializeToNode(new
        {
            number = 1, streams = 1, events = 1, maxSequence = 1, heads = new[] { new { stream = "x", version = 1, hash = "00" } },
        })!.AsObject(), "number", "streams", "events", "maxSequence", "heads/0/version");
    }

    [Fact]
    public async Task Every_numeric_member_answers_numbers_past_its_edges_with_a_2xx_or_a_4xx_never_a_5xx()
    {
        await SeedReady(fixture.Host);
        var twin = await CreateAsync(fixture.Host.ClientAs("researcher", "tum", "edge-twin-owner"));
        var targets = Targets(twin).ToList();

        // Every numeric member of the document's bodies is swept (routes compared with their ids as templates).
        var swept = targets.SelectMany(t => t.Members.Select(m => $"{t.Method} {Template(t.Route, twin)} {Spec(m)}")).ToHashSet();
        var documented = await NumericMembersAsync();
        documented.Should().NotBeEmpty();
        documented.Should().BeSubsetOf(swept, "a numeric member of a request body joins this sweep");

        var probes = 0;
        foreach (var target in targets)
            foreach (var member in target.Members)
            {
                // A caller per member: the sweep reaches the routes, not one client's rate limit or run cap.
                using var client = OpenApiOperations.ProbingClient(fixture.Host, $"edge-{probes}");
                foreach (var edge in Edges)
                {
                    var body = target.Body();
                    Set(body, member, JsonNode.Parse(edge)!);
                    using var request = new HttpRequestMessage(new HttpMethod(target.Method), target.Route)
                    {
                        Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
                    };
                    using var response = await client.SendAsync(request);
                    var because = $"{target.Method} {target.Route} with {member} = {edge}: {await response.Content.ReadAsStringAsync()}";
                    ((int)response.StatusCode).Should().BeLessThan(500, because);
                    response.StatusCode.Should().NotBe(HttpStatusCode.TooManyRequests, because);
                }
                probes++;
            }
        probes.Should().Be(swept.Count);
    }

    /// <summary>"ranges/0/lower" → ".ranges[].lower"; "parameters/{SIT}" → ".parameters{}" (the form the document is read in).</summary>
    private static string Spec(string member) =>
        string.Concat(member.Split('/').Select(s => int.TryParse(s, out _) ? "[]" : s.StartsWith('{') ? "{}" : "." + s));

    private static string Template(string route, string twin) =>
        route.Replace($"/api/twins/{twin}/", "/api/twins/{id}/", StringComparison.Ordinal)
            .Replace("/sweep-probe/versions/1.0.0/", "/{id}/versions/{version}/", StringComparison.Ordinal)
            .Replace("/sweep-probe", "/{id}", StringComparison.Ordinal);

    private static void Set(JsonNode body, string member, JsonNode value)
    {
        var segments = member.Split('/');
        var node = body;
        foreach (var s in segments[..^1]) node = int.TryParse(s, out var i) ? node[i]! : node[s]!;
        var last = segments[^1];
        if (int.TryParse(last, out var index)) node[index] = value;
        else node[last.Trim('{', '}')] = value;
    }

    /// <summary>"POST /api/runs .ranges[].lower" for every number and integer member of every JSON request body.</summary>
    /// <remarks>Walked with the operation in front of the member's path, so a member's path is "POST /api/runs " + ".ranges[].lower".</remarks>
    private async Task<HashSet<string>> NumericMembersAsync()
    {
        var document = JsonDocument.Parse(await fixture.Host.Client().GetStringAsync("/openapi/v1.json")).RootElement;
        var schemas = document.GetProperty("components").GetProperty("schemas");
        var found = new HashSet<string>();
        foreach (var path in document.GetProperty("paths").EnumerateObject())
            foreach (var operation in path.Value.EnumerateObject())
                if (operation.Value.TryGetProperty("requestBody", out var body) && body.GetProperty("content").TryGetProperty("application/json", out var json))
                    Walk(json.GetProperty("schema"), $"{operation.Name.ToUpperInvariant()} {path.Name} ", []);

        return found;

        void Walk(JsonElement schema, string at, HashSet<string> seen)
        {
            if (schema.TryGetProperty("$ref", out var reference))
            {
                var name = reference.GetString()!.Split('/')[^1];
                if (seen.Add(name)) Walk(schemas.GetProperty(name), at, seen);
                seen.Remove(name);
                return;
            }
            var types = schema.TryGetProperty("type", out var t) ? t.ValueKind == JsonValueKind.Array ? t.EnumerateArray().Select(x => x.GetString()).ToArray() : [t.GetString()] : [];
            if (types.Contains("number") || types.Contains("integer")) found.Add(at);
            if (schema.TryGetProperty("properties", out var properties))
                foreach (var p in properties.EnumerateObject()) Walk(p.Value, $"{at}.{p.Name}", seen);
            if (schema.TryGetProperty("items", out var items)) Walk(items, at + "[]", seen);
            if (schema.TryGetProperty("additionalProperties", out var values) && values.ValueKind == JsonValueKind.Object) Walk(values, at + "{}", seen);
            foreach (var combinator in new[] { "oneOf", "anyOf", "allOf" })
                if (schema.TryGetProperty(combinator, out var options))
                    foreach (var option in options.EnumerateArray()) Walk(option, at, seen);
        }
    }
}
