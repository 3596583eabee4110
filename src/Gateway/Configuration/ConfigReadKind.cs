namespace Gateway.Configuration;

/// <summary>How a reader used one key of the <c>Gateway</c> section, which tells what the operator had to write there.</summary>
[Flags]
internal enum ConfigReadKind
{
    None = 0,

    /// <summary>Its value was read: a scalar belongs here.</summary>
    Value = 1,

    /// <summary>Its children were listed: a section or a list belongs here.</summary>
    Children = 2,

    /// <summary>Its children were read as the items of a list (<see cref="ConfigReader.Items"/>).</summary>
    List = 4,
}
