// The cluster stand-in needs Linux (mount namespaces, /etc/hosts), and so do its tests.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
