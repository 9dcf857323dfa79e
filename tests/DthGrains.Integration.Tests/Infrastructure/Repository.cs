namespace DthGrains.Integration.Tests.Infrastructure;

/// <summary>The checkout the tests run from: the folder above the test binaries that holds DthGrains.sln.</summary>
public static class Repository
{
    public static string Root()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "DthGrains.sln"))) return dir.FullName;
        throw new InvalidOperationException("DthGrains.sln not found above the test binaries.");
    }
}
