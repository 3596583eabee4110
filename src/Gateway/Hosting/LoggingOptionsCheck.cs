using System.ComponentModel;
using System.Reflection;
using Gateway.Configuration;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace Gateway.Hosting;

/// <summary>
/// Checks the <c>Logging</c> section against what ASP.NET Core's logging binds it to (<see cref="ConsoleLoggerOptions"/>,
/// the formatters' options, <c>JsonWriterOptions</c>, <see cref="LoggerFilterOptions"/>), by binding it with logging's own
/// binders. A value they refuse is thrown when the host first builds its loggers (the start fails as a crash, not as a
/// refused file) or, on a reload, when logging is pointed at the new section - after that generation is serving. So the
/// option types decide, not a list kept here: a new option or a new limit in a later .NET is checked without a change.
/// </summary>
internal static class LoggingOptionsCheck
{
    /// <summary><c>Logging:Console:FormatterOptions</c> is bound to each formatter's options, whichever is named.</summary>
    private static readonly Type[] FormatterOptionTypes =
        [typeof(SimpleConsoleFormatterOptions), typeof(JsonConsoleFormatterOptions), typeof(ConsoleFormatterOptions)];

    /// <summary>Each type logging binds from the section, and the part of the section it is bound from (for a refusal no single key explains).</summary>
    private static readonly (Func<IServiceProvider, object> Create, string Section)[] Bindings =
    [
        (Create<LoggerFilterOptions>, ""),
        (Create<ConsoleLoggerOptions>, "Console"),
        (Create<SimpleConsoleFormatterOptions>, "Console:FormatterOptions"),
        (Create<JsonConsoleFormatterOptions>, "Console:FormatterOptions"),
        (Create<ConsoleFormatterOptions>, "Console:FormatterOptions"),
    ];

    /// <summary>
    /// Every key under <c>Logging:Console</c> is an option of the type it is bound to (or a nested section where one
    /// belongs); the binder itself ignores what it does not know, so a misspelt option would silently do nothing.
    /// </summary>
    /// <returns>The type of each value that names an option, by path: a refused value's message says what is expected.</returns>
    public static Dictionary<string, Type> CheckKeys(IConfigurationSection console, ConfigErrors errors)
    {
        var values = new Dictionary<string, Type>(StringComparer.OrdinalIgnoreCase);
        Walk(console, [typeof(ConsoleLoggerOptions)], errors, values, "LogLevel", "FormatterOptions");
        var formatter = console.GetSection("FormatterOptions");
        if (!string.IsNullOrWhiteSpace(formatter.Value) && !formatter.GetChildren().Any())
        {
            errors.Add(formatter.Path, "a section is expected here, not a value");
        }

        Walk(formatter, FormatterOptionTypes, errors, values);
        return values;
    }

    /// <summary>
    /// Binds the section as logging will; each value a binder refuses is one error at its path. Values already reported
    /// (a level that is not one, an unknown formatter) are not reported twice.
    /// </summary>
    /// <param name="types">From <see cref="CheckKeys"/>: the option type of each value, for the message.</param>
    public static void Bind(IConfigurationSection logging, IReadOnlyDictionary<string, Type> types, ConfigErrors errors)
    {
        if (Refusal(logging.AsEnumerable(), logging.Path) is not { } refusal)
        {
            return;
        }

        // A binder stops at the first value it refuses: each value alone says which of them it was, and finds them all.
        var reported = errors.All.Select(e => e.Path).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var refusedAlone = 0;
        foreach (var (path, value) in logging.AsEnumerable().Where(kv => kv.Value is not null))
        {
            if (Refusal([new(path, value)], logging.Path) is not { } alone)
            {
                continue;
            }

            refusedAlone++;
            if (reported.Add(path))
            {
                errors.Add(path, Message(value!, types.GetValueOrDefault(path), alone.Exception));
            }
        }

        if (refusedAlone == 0)
        {
            // Only the values together are refused: say so where they are bound from.
            var section = refusal.Section.Length == 0 ? logging.Path : logging.Path + ":" + refusal.Section;
            errors.Add(section, "refused by ASP.NET Core's logging: " + Reason(refusal.Exception));
        }
    }

    /// <returns>The first binding of <paramref name="values"/> that throws, or null when logging accepts them all.</returns>
    private static (Exception Exception, string Section)? Refusal(IEnumerable<KeyValuePair<string, string?>> values, string sectionPath)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var services = new ServiceCollection();

        // What the host registers (WebApplication.CreateBuilder: the Logging section and the console provider, with its
        // three formatters): the same configure-options classes, so the same binders and the same property setters.
        services.AddLogging(logging => logging.AddConfiguration(configuration.GetSection(sectionPath)).AddConsole());
        using var provider = services.BuildServiceProvider();
        foreach (var (create, section) in Bindings)
        {
            try
            {
                create(provider);
            }
            catch (Exception e) when (e is InvalidOperationException or ArgumentException or FormatException or OverflowException)
            {
                // What the binders throw for a value they cannot convert, and the option setters for one out of range.
                return (e, section);
            }
        }

        return null;
    }

    private static T Create<T>(IServiceProvider provider)
        where T : class =>
        provider.GetRequiredService<IOptionsFactory<T>>().Create(Options.DefaultName);

    /// <summary>Said the way the gateway's own checks say it where the option's type tells what was expected.</summary>
    private static string Message(string value, Type? type, Exception refusal)
    {
        var converting = refusal is InvalidOperationException { InnerException: { } inner } ? inner : null;
        type = type is null ? null : Nullable.GetUnderlyingType(type) ?? type;
        return (converting, type) switch
        {
            (not null, { IsEnum: true }) => $"'{value}' is not one of: {string.Join(", ", Enum.GetNames(type))}",
            (not null, _) when type == typeof(bool) => $"'{value}' is not true or false",
            (OverflowException, _) => $"'{value}' is out of range for {type?.Name ?? "this option"}",
            (not null, _) when type == typeof(int) || type == typeof(long) => $"'{value}' is not a whole number",
            _ => $"'{value}' is refused by ASP.NET Core's logging: {Reason(refusal)}",
        };
    }

    private static string Reason(Exception refusal) => refusal switch
    {
        // "Max depth must be positive. (Parameter 'value')": the parameter is the setter's, which names nothing here.
        ArgumentException { ParamName: "value" } e => e.Message.Replace(" (Parameter 'value')", "", StringComparison.Ordinal),
        InvalidOperationException { InnerException: { } inner } => inner.Message,
        _ => refusal.Message,
    };

    /// <param name="types">What the section is bound to; a key may be an option of any of them.</param>
    /// <param name="others">Keys read by something else (levels, the formatters' section).</param>
    private static void Walk(IConfigurationSection section, Type[] types, ConfigErrors errors, Dictionary<string, Type> values, params string[] others)
    {
        var options = types.SelectMany(Bindable).ToArray();
        ConfigReader.RejectUnknownKeys(section, errors, [.. others, .. options.Select(p => p.Name).Distinct(StringComparer.OrdinalIgnoreCase)]);
        foreach (var child in section.GetChildren())
        {
            var matches = options.Where(p => p.Name.Equals(child.Key, StringComparison.OrdinalIgnoreCase)).Select(p => p.PropertyType).Distinct().ToArray();
            if (matches.Length == 0)
            {
                continue;
            }

            var isSection = child.GetChildren().Any();
            if (matches.All(IsValue))
            {
                if (isSection)
                {
                    // The binder would skip it: the option would keep its default without a word.
                    errors.Add(child.Path, "a value is expected here, not a section");
                }

                values[child.Path] = matches[0];
            }
            else if (!isSection && !string.IsNullOrWhiteSpace(child.Value))
            {
                errors.Add(child.Path, "a section is expected here, not a value");
            }
            else
            {
                Walk(child, matches, errors, values);
            }
        }
    }

    /// <summary>
    /// What a binder sets: public, settable (or a section it binds into), not obsolete - the console logger's obsolete
    /// options (<c>Format</c>, <c>IncludeScopes</c>, ...) moved to <c>FormatterOptions</c>, and naming them there is
    /// refused with the list of what belongs.
    /// </summary>
    private static IEnumerable<PropertyInfo> Bindable(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetIndexParameters().Length == 0 && p.GetCustomAttribute<ObsoleteAttribute>() is null
                && (p.SetMethod is { IsPublic: true } || !IsValue(p.PropertyType)));

    /// <summary>A type written as one value (a number, a flag, a name), not as a section of keys: the binders' own rule.</summary>
    private static bool IsValue(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        return type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal)
            || TypeDescriptor.GetConverter(type).CanConvertFrom(typeof(string));
    }
}
