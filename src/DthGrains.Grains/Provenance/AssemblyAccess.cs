using System.Runtime.CompilerServices;

// The ledger benchmark switches the hash chain off for its baseline (EventLog.ChainEnabled); nothing else may.
[assembly: InternalsVisibleTo("DthGrains.Benchmarks")]
