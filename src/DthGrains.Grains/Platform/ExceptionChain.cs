namespace DthGrains.Grains.Platform;

/// <summary>An exception and the ones inside it (inner exceptions, and every member of an aggregate), outermost first.</summary>
public static class ExceptionChain
{
    /// <summary>Bounded, so a cyclic or absurdly deep chain cannot hang an error handler.</summary>
    private const int MaxDepth = 16;

    public static IEnumerable<Exception> Of(Exception? exception) => Walk(exception, 0);

    private static IEnumerable<Exception> Walk(Exception? exception, int depth)
    {
        for (; exception is not null && depth < MaxDepth; depth++, exception = exception.InnerException)
        {
            yield return exception;
            if (exception is AggregateException aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions.Skip(1).SelectMany(e => Walk(e, depth + 1)))
                    yield return inner;
            }
        }
    }
}
