using System.Globalization;

namespace DthGrains.Grains.Provenance;

/// <summary>
/// A query found the lineage store further behind the ledger than it may read before answering (the first reading of
/// a long ledger after an upgrade or a rebuild): it answers 503 with how far the reading has come instead of holding the
/// caller for minutes. The silos go on reading in the background (<see cref="LineageCatchUp"/>), and so does every
/// query, a budget at a time.
/// </summary>
public sealed class LineageCatchingUpException(long readUpTo, long ledgerSequence)
    : Exception(MessageFor(readUpTo, ledgerSequence))
{
    private static string MessageFor(long readUpTo, long ledgerSequence) => string.Create(CultureInfo.InvariantCulture,
        $"The lineage store is still reading the ledger: up to sequence {readUpTo:N0} of {ledgerSequence:N0} ({Percent(readUpTo, ledgerSequence)}). The silos go on reading it in the background; try again in a few seconds.");

    private static string Percent(long readUpTo, long ledgerSequence) =>
        (ledgerSequence <= 0 ? 0 : Math.Floor(1000.0 * readUpTo / ledgerSequence) / 10).ToString("0.0", CultureInfo.InvariantCulture) + "%";
}
