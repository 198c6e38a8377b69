// The cluster stand-in needs Linux (mount namespaces, /etc/hosts), and so do its tests.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

// One test at a time: each starts processes on a two-core machine, and one of them writes /etc/hosts by hand.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
