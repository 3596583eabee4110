namespace Gateway.AccessLog;

/// <param name="Enabled">One line per L7 request and one per tunnel.</param>
/// <param name="Path">The file lines are appended to (reopened after rotation); null: standard output, so the journal gets them.</param>
internal sealed record AccessLogConfig(bool Enabled, string? Path, AccessLogFormat Format);
