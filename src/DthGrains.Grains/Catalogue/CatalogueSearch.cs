using System.Globalization;
using System.Text;
using DthGrains.Contracts.Catalogue;
using DthGrains.Contracts.Platform;
using DthGrains.Grains.Platform;
using Marten;
using Npgsql;
using NpgsqlTypes;

namespace DthGrains.Grains.Catalogue;

/// <summary>A catalogue search: free text (PostgreSQL full-text, web-search syntax), facet filters, sort, cursor.</summary>
public sealed record CatalogueQuery(
    string? Text = null,
    string[]? Kinds = null,
    string[]? Themes = null,
    string[]? HealthCategories = null,
    string[]? CodingSystems = null,
    string[]? Publishers = null,
    string[]? Countries = null,
    string[]? AccessRights = null,
    string[]? Licences = null,
    string[]? ConformsTo = null,
    int? MinCredibility = null,
    string[]? Statuses = null,
    CatalogueSort Sort = CatalogueSort.Relevance,
    int Limit = 20,
    string? Cursor = null);

public enum CatalogueSort
{
    Relevance,
    Title,
    Updated,
}

public sealed record CatalogueHit(CatalogueEntryDocument Entry, double Rank);

public sealed record CatalogueSearchResult(
    IReadOnlyList<CatalogueHit> Items,
    string? NextCursor,
    int Total,
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, int>> Facets);

/// <summary>
/// Searches the catalogue read model with SQL over its jsonb documents. Pagination is keyset-based on
/// (sort key, id), so pages stay stable while entries are added. Drafts of other institutions never match.
/// </summary>
public sealed class CatalogueSearch(IDocumentStore store)
{
    public const int MaxPageSize = 100;

    public const string Table = EventStoreSetup.SchemaName + ".mt_doc_catalogueentrydocument";

    /// <summary>
    /// The searched text, weighted title (A) over keywords (B) over description (C). Matching and ranking use this very
    /// expression, and <see cref="CatalogueSearchIndex"/> indexes it (GIN): PostgreSQL uses an expression index only for
    /// the same expression.
    /// </summary>
    public const string Vector =
        "setweight(to_tsvector('english', coalesce(data->>'title','')), 'A') || " +
        "setweight(to_tsvector('english', coalesce(data->>'keywordsText','')), 'B') || " +
        "setweight(to_tsvector('english', coalesce(data->>'description','')), 'C')";

    private static readonly (string Name, string Path, bool IsArray)[] FacetColumns =
    [
        ("kind", "kind", false), ("theme", "themes", true), ("healthCategory", "healthCategories", true),
        ("codingSystem", "codingSystems", true), ("publisher", "publisher", false), ("country", "publisherCountry", false),
        ("accessRights", "accessRights", false), ("licence", "licence", false), ("conformsTo", "conformsTo", true),
        ("credibilityLevel", "credibilityLevel", false), ("status", "status", false),
    ];

    public async Task<CatalogueSearchResult> SearchAsync(CatalogueQuery query, Actor viewer, CancellationToken ct = default)
    {
        var parameters = new List<NpgsqlParameter>();
        string P(object value, NpgsqlDbType? type = null)
        {
            var name = $"p{parameters.Count}";
            parameters.Add(type is { } t ? new NpgsqlParameter(name, t) { Value = value } : new NpgsqlParameter(name, value));
            return "@" + name;
        }

        var where = new List<string>();
        var text = string.IsNullOrWhiteSpace(query.Text) ? null : query.Text.Trim();
        var tsQuery = text is null ? null : $"websearch_to_tsquery('english', {P(text)})";
        if (tsQuery is not null) where.Add($"({Vector}) @@ {tsQuery}");

        // Visibility: drafts only for the publisher's institution, platform admins and auditors.
        if (!viewer.HasRole(Roles.PlatformAdmin) && !viewer.HasRole(Roles.Auditor))
            where.Add($"(data->>'status' <> 'Draft' or data->>'publisher' = {P(viewer.Institution ?? "", NpgsqlDbType.Text)})");
        // Withdrawn entries are found only when asked for.
        where.Add(query.Statuses is { Length: > 0 }
            ? $"data->>'status' = any({P(query.Statuses, NpgsqlDbType.Array | NpgsqlDbType.Text)})"
            : "data->>'status' <> 'Withdrawn'");

        void Scalar(string path, string[]? values)
        {
            if (values is { Length: > 0 }) where.Add($"data->>'{path}' = any({P(values, NpgsqlDbType.Array | NpgsqlDbType.Text)})");
        }
        void Array(string path, string[]? values)
        {
            if (values is { Length: > 0 }) where.Add($"data->'{path}' ?| {P(values, NpgsqlDbType.Array | NpgsqlDbType.Text)}");
        }
        Scalar("kind", query.Kinds);
        Array("themes", query.Themes);
        Array("healthCategories", query.HealthCategories);
        Array("codingSystems", query.CodingSystems);
        Scalar("publisher", query.Publishers);
        Scalar("publisherCountry", query.Countries);
        Scalar("accessRights", query.AccessRights);
        Scalar("licence", query.Licences);
        Array("conformsTo", query.ConformsTo);
        if (query.MinCredibility is { } min) where.Add($"(data->>'credibilityLevel')::int >= {P(min)}");

        var sort = EffectiveSort(query);
        var rank = tsQuery is null ? "0::real" : $"ts_rank({Vector}, {tsQuery})";
        var (sortKey, order) = sort switch
        {
            CatalogueSort.Relevance => ("rank", "rank desc, id"),
            CatalogueSort.Updated => ("(data->>'updatedAt')", "(data->>'updatedAt') desc, id"),
            _ => ("lower(data->>'title')", "lower(data->>'title'), id"),
        };
        var keyset = "";
        if (Cursors.Decode(query.Cursor) is { } after)
        {
            if (after.Sort != sort) throw new ArgumentException($"The cursor was made for the {after.Sort} order, not {sort}.", nameof(query));
            var key = P(after.Key);
            var id = P(after.Id);
            keyset = sort switch
            {
                CatalogueSort.Relevance => $"where (rank < {key}::real or (rank = {key}::real and id > {id}))",
                CatalogueSort.Updated => $"where ((data->>'updatedAt') < {key} or ((data->>'updatedAt') = {key} and id > {id}))",
                _ => $"where (lower(data->>'title') > {key} or (lower(data->>'title') = {key} and id > {id}))",
            };
        }
        var limit = Math.Clamp(query.Limit, 1, MaxPageSize);
        var matched = $"select id, data, {rank} as rank from {Table} where {string.Join(" and ", where)}";
        var facets = string.Join(" union all ", FacetColumns.Select(f => f.IsArray
            ? $"select '{f.Name}' as facet, v as value, count(*) as n from m, jsonb_array_elements_text(m.data->'{f.Path}') v group by v"
            : $"select '{f.Name}' as facet, m.data->>'{f.Path}' as value, count(*) as n from m where m.data->>'{f.Path}' is not null group by 2"));
        var sql = new StringBuilder()
            .Append($"with m as ({matched}) ")
            .Append($"select 'hit' as facet, id as value, 0 as n, data::text as data, rank::float8 as rank, {sortKey}::text as sortkey from m {keyset} ")
            .Append($"order by {order} limit {limit + 1};")
            .Append($"with m as ({matched}) select facet, value, n from ({facets} union all select 'total', 'all', count(*) from m) f")
            .ToString();

        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddRange(parameters.ToArray());
        await using var reader = await command.ExecuteReaderAsync(ct);

        var serializer = store.Options.Serializer();
        var hits = new List<(CatalogueHit Hit, string SortKey)>();
        while (await reader.ReadAsync(ct))
            hits.Add((new CatalogueHit(serializer.FromJson<CatalogueEntryDocument>(new MemoryStream(Encoding.UTF8.GetBytes(reader.GetString(3)))), reader.GetDouble(4)), reader.GetString(5)));

        await reader.NextResultAsync(ct);
        var facetCounts = new Dictionary<string, Dictionary<string, int>>();
        var total = 0;
        while (await reader.ReadAsync(ct))
        {
            var (facet, value, n) = (reader.GetString(0), reader.GetString(1), (int)reader.GetInt64(2));
            if (facet == "total") total = n;
            else (facetCounts.TryGetValue(facet, out var d) ? d : facetCounts[facet] = [])[value] = n;
        }

        string? next = null;
        if (hits.Count > limit)
        {
            hits.RemoveAt(limit);
            var last = hits[^1];
            next = Cursors.Encode(sort, sort == CatalogueSort.Relevance ? ((float)last.Hit.Rank).ToString("R", CultureInfo.InvariantCulture) : last.SortKey, last.Hit.Entry.Id);
        }
        return new CatalogueSearchResult(hits.Select(h => h.Hit).ToList(), next, total,
            facetCounts.ToDictionary(f => f.Key, f => (IReadOnlyDictionary<string, int>)f.Value));
    }

    /// <summary>The order a query's pages come in: relevance needs text to rank by, and without it is by title.</summary>
    public static CatalogueSort EffectiveSort(CatalogueQuery query) =>
        query.Sort == CatalogueSort.Relevance && string.IsNullOrWhiteSpace(query.Text) ? CatalogueSort.Title : query.Sort;

    /// <summary>
    /// Opaque cursors: base64url of "order\nsortKey\nid". The order is inside, because a key of one order (a title) is
    /// not a key of another (a rank): a cursor carried over to another order is refused, never cast by the database.
    /// </summary>
    public static class Cursors
    {
        public static string Encode(CatalogueSort sort, string key, string id) =>
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{sort}\n{key}\n{id}")).TrimEnd('=').Replace('+', '-').Replace('/', '_');

        public static (CatalogueSort Sort, string Key, string Id)? Decode(string? cursor)
        {
            if (string.IsNullOrEmpty(cursor)) return null;
            try
            {
                var b64 = cursor.Replace('-', '+').Replace('_', '/');
                var text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(Convert.FromBase64String(b64.PadRight(b64.Length + ((4 - (b64.Length % 4)) % 4), '=')));
                var first = text.IndexOf('\n');
                var last = text.LastIndexOf('\n');
                if (first < 0 || last == first || !Enum.TryParse<CatalogueSort>(text[..first], out var sort) || !Enum.IsDefined(sort)) return null;
                var (key, id) = (text[(first + 1)..last], text[(last + 1)..]);
                // A NUL is refused by PostgreSQL's text type, and no sort key or id holds a control character.
                if (id.Length == 0 || key.Any(char.IsControl) || id.Any(char.IsControl)) return null;
                if (sort == CatalogueSort.Relevance && !float.TryParse(key, NumberStyles.Float, CultureInfo.InvariantCulture, out _)) return null;
                return (sort, key, id);
            }
            catch (Exception ex) when (ex is FormatException or ArgumentException)
            {
                return null;
            }
        }

        /// <summary>A cursor some page of this very order returned (or none).</summary>
        public static bool IsValid(string? cursor, CatalogueSort sort) => cursor is null || Decode(cursor)?.Sort == sort;
    }
}
