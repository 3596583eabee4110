using System.Reflection;
using Gateway.Hosting;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Architecture;

/// <summary>
/// An operator filters and alerts on event ids and names, so each names one message of the whole process, and all
/// of them are listed in one table where a new one can see which are taken.
/// </summary>
public sealed class LoggingTests
{
    /// <summary>The table of event ids: a static class of <c>public const int</c> fields, one per message.</summary>
    private const string EventTable = "Gateway.Diagnostics.LogEvents";

    [Fact]
    public void Event_ids_are_unique()
    {
        var messages = Messages();
        Assert.True(messages.Count > 20, $"only {messages.Count} [LoggerMessage] methods found");

        var problems = new List<string>();
        problems.AddRange(messages.Where(message => message.Id < 0).Select(message => $"  {message.Method} has no EventId"));
        foreach (var group in messages.Where(message => message.Id >= 0).GroupBy(message => message.Id).Where(group => group.Count() > 1).OrderBy(group => group.Key))
        {
            problems.Add($"  EventId {group.Key} is used by {group.Count()}:");
            problems.AddRange(group.Select(message => $"      {message.Method} ({message.Name})").Order(StringComparer.Ordinal));
        }

        foreach (var group in messages.GroupBy(message => message.Name, StringComparer.Ordinal).Where(group => group.Count() > 1).OrderBy(group => group.Key, StringComparer.Ordinal))
        {
            problems.Add($"  EventName {group.Key} is used by {group.Count()}:");
            problems.AddRange(group.Select(message => $"      {message.Method} (EventId {message.Id})").Order(StringComparer.Ordinal));
        }

        Assert.True(problems.Count == 0, "[LoggerMessage] event ids and names must each be unique in the assembly:\n" + string.Join("\n", problems));
    }

    [Fact]
    public void Event_ids_come_from_one_table()
    {
        var table = typeof(GatewayApplication).Assembly.GetType(EventTable);
        Assert.True(table is not null, $"the event id table {EventTable} is missing: a static class with one `public const int` per [LoggerMessage], named as its EventName");
        Assert.True(table.IsAbstract && table.IsSealed, $"{EventTable} is not a static class");

        var constants = table.GetFields(BindingFlags.Public | BindingFlags.Static | BindingFlags.DeclaredOnly)
            .Where(field => field.IsLiteral && field.FieldType == typeof(int))
            .ToDictionary(field => field.Name, field => (int)field.GetRawConstantValue()!, StringComparer.Ordinal);
        var problems = new List<string>();
        problems.AddRange(table.GetFields(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly)
            .Where(field => !constants.ContainsKey(field.Name))
            .Select(field => $"  {EventTable}.{field.Name} is not a public const int"));
        foreach (var group in constants.GroupBy(constant => constant.Value).Where(group => group.Count() > 1))
        {
            problems.Add($"  {EventTable} gives {group.Key} to {string.Join(", ", group.Select(constant => constant.Key).Order(StringComparer.Ordinal))}");
        }

        var messages = Messages();
        var used = messages.ToLookup(message => message.Id);
        foreach (var message in messages.OrderBy(message => message.Method, StringComparer.Ordinal))
        {
            if (!constants.TryGetValue(message.Name, out var id))
            {
                var byId = constants.Where(constant => constant.Value == message.Id).Select(constant => constant.Key).ToList();
                problems.Add($"  {message.Method}: EventName {message.Name} (EventId {message.Id}) is not a constant of {EventTable}"
                    + (byId.Count > 0 ? $"; its id is {string.Join(", ", byId)}'s" : ""));
            }
            else if (id != message.Id)
            {
                problems.Add($"  {message.Method}: EventId {message.Id}, but {EventTable}.{message.Name} is {id}");
            }
        }

        foreach (var (name, id) in constants.OrderBy(constant => constant.Value))
        {
            var users = used[id].ToList();
            if (users.Count != 1)
            {
                problems.Add($"  {EventTable}.{name} = {id} is used by {users.Count} [LoggerMessage] methods"
                    + (users.Count > 0 ? ": " + string.Join(", ", users.Select(message => message.Method).Order(StringComparer.Ordinal)) : ""));
            }
        }

        Assert.True(problems.Count == 0, $"[LoggerMessage] event ids must be the constants of {EventTable}, each once, named as the event:\n" + string.Join("\n", problems));
    }

    /// <summary>Every [LoggerMessage] of the assembly; a missing EventName is the method's name, as the generator has it.</summary>
    private static List<(int Id, string Name, string Method)> Messages()
    {
        const BindingFlags All = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly;
        return [.. typeof(GatewayApplication).Assembly.GetTypes()
            .SelectMany(type => type.GetMethods(All))
            .Select(method => (Method: method, Attribute: method.GetCustomAttribute<LoggerMessageAttribute>()))
            .Where(pair => pair.Attribute is not null)
            .Select(pair => (pair.Attribute!.EventId, pair.Attribute.EventName ?? pair.Method.Name, $"{pair.Method.DeclaringType!.FullName!.Replace('+', '.')}.{pair.Method.Name}"))];
    }
}
