using DthGrains.Grains.Provenance;
using DthGrains.Integration.Tests.Infrastructure;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using static DthGrains.Integration.Tests.Catalogue.CatalogueTestData;

namespace DthGrains.Integration.Tests.Provenance;

/// <summary>The background reading of the ledger says how far it has come every 10 s of a long reading, and when it is done.</summary>
[Collection(PostgresCollection.Name)]
public sealed class LineageCatchUpTests
{
    [Fact]
    public async Task A_long_reading_logs_its_progress_every_10_seconds_and_its_end()
    {
        await using var host = await TestHost.StartAsync("charite", alsoHosts: [],
            settings: new Dictionary<string, string?> { ["Dth:Ledger:LineageCatchUp"] = "00:00:00" });
        var (reader, store) = (host.Services.GetRequiredService<LedgerReader>(), host.Services.GetRequiredService<IDocumentStore>());
        var modeller = host.ClientAs("modeller", "charite");
        for (var i = 0; i < 6; i++)
            (await modeller.PostAsync("/api/catalogue/resources", Draft($"progress-model-{i}", "model", ModelMetadata()))).EnsureSuccessStatusCode();

        async Task<List<string>> ReadAllWith(TimeProvider clock)
        {
            await LineageStore.EmptyAsync(store);
            var log = new CapturingLogger();
            // A chunk per event: a long reading of a short ledger.
            await new LineageCatchUp(new LineageService(reader, store, chunkSize: 1), Options.Create(new LedgerOptions()), log, clock).CatchUpAsync(CancellationToken.None);
            return log.Lines;
        }

        // Each look at the clock finds 4 s gone: a chunk every few seconds, progress said at most every 10 s.
        var slow = await ReadAllWith(new SteppingClock(TimeSpan.FromSeconds(4)));
        var progress = slow.Where(l => l.Contains("reading the ledger into the lineage store, up to sequence", StringComparison.Ordinal)).ToList();
        progress.Should().NotBeEmpty("the reading took minutes by this clock");
        slow.Count(l => l.Contains("has read the ledger up to sequence", StringComparison.Ordinal)).Should().Be(1);
        var chunks = (int)(await CountEventsAsync(store));
        // A chunk looks at the clock once (4 s) unless it speaks: a line every other chunk at most, never one per chunk.
        progress.Count.Should().BeLessThanOrEqualTo(chunks / 2, "one line per 10 s, not per chunk");

        // A reading that takes no time by the clock says only that it is done.
        var quick = await ReadAllWith(new SteppingClock(TimeSpan.Zero));
        quick.Should().ContainSingle().Which.Should().Contain("has read the ledger up to sequence");
    }

    private static async Task<long> CountEventsAsync(IDocumentStore store)
    {
        await using var session = store.QuerySession();
        return await session.Events.QueryAllRawEvents().CountAsync();
    }

    /// <summary>A clock that moves by <paramref name="step"/> every time it is read.</summary>
    private sealed class SteppingClock(TimeSpan step) : TimeProvider
    {
        private long _ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => Interlocked.Add(ref _ticks, step.Ticks);
    }

    private sealed class CapturingLogger : ILogger<LineageCatchUp>
    {
        private readonly List<string> _lines = [];

        public List<string> Lines
        {
            get
            {
                lock (_lines) return [.. _lines];
            }
        }

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (_lines) _lines.Add(formatter(state, exception));
        }
    }
}
