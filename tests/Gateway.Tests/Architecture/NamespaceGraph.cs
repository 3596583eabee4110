using Gateway.Hosting;
using Mono.Cecil;

namespace Gateway.Tests.Architecture;

/// <summary>
/// Which Gateway namespace uses which, read from the compiled assembly rather than the source so that nothing a
/// <c>using</c> hides (fully qualified names, <c>var</c>, extension methods, generated code) escapes. A nested or
/// compiler-generated type (closures, state machines, lambdas' display classes) counts as its outermost declaring
/// type, so a lambda's captures are charged to the class that wrote it.
/// </summary>
internal sealed class NamespaceGraph
{
    private static readonly Lazy<NamespaceGraph> Shared = new(Build);

    private NamespaceGraph(SortedSet<string> namespaces, Dictionary<(string From, string To), SortedSet<(string From, string To)>> edges)
    {
        Namespaces = namespaces;
        Edges = edges;
    }

    public static NamespaceGraph Gateway => Shared.Value;

    /// <summary>Every Gateway namespace that declares at least one type.</summary>
    public SortedSet<string> Namespaces { get; }

    /// <summary>Namespace A uses namespace B (A != B), with the (type in A, type in B) pairs that make it so.</summary>
    public Dictionary<(string From, string To), SortedSet<(string From, string To)>> Edges { get; }

    public static bool IsGatewayNamespace(string ns) => ns == "Gateway" || ns.StartsWith("Gateway.", StringComparison.Ordinal);

    /// <summary>The type pairs of an edge, at most <paramref name="count"/>, as "A -> B" lines, with how many more.</summary>
    public IEnumerable<string> Examples((string From, string To) edge, int count, string indent)
    {
        var pairs = Edges[edge];
        foreach (var (from, to) in pairs.Take(count))
        {
            yield return $"{indent}{from} -> {to}";
        }

        if (pairs.Count > count)
        {
            yield return $"{indent}... and {pairs.Count - count} more";
        }
    }

    private static NamespaceGraph Build()
    {
        var path = typeof(GatewayApplication).Assembly.Location;
        // Attribute arguments of enum type need their enum resolved to be read: point the resolver at the
        // shared frameworks and at the build output.
        using var resolver = new DefaultAssemblyResolver();
        foreach (var directory in new[] { path, typeof(object).Assembly.Location, typeof(Microsoft.AspNetCore.Http.HttpContext).Assembly.Location }.Select(Path.GetDirectoryName).Distinct())
        {
            resolver.AddSearchDirectory(directory);
        }

        using var module = ModuleDefinition.ReadModule(path, new ReaderParameters { ReadSymbols = false, InMemory = true, AssemblyResolver = resolver });
        var namespaces = new SortedSet<string>(StringComparer.Ordinal);
        var edges = new Dictionary<(string, string), SortedSet<(string, string)>>();
        foreach (var type in module.Types)
        {
            if (!IsGatewayNamespace(type.Namespace))
            {
                continue;
            }

            namespaces.Add(type.Namespace);
            var walker = new Walker(type, edges);
            walker.Type(type);
        }

        return new NamespaceGraph(namespaces, edges);
    }

    /// <summary>Outermost declaring type, generic arity dropped: <c>Foo`1/&lt;&gt;c</c> is <c>Foo</c>.</summary>
    private static TypeReference Outermost(TypeReference type)
    {
        while (type.DeclaringType is not null)
        {
            type = type.DeclaringType;
        }

        return type;
    }

    private static string SimpleName(TypeReference type)
    {
        var name = type.Name;
        var tick = name.IndexOf('`', StringComparison.Ordinal);
        return tick < 0 ? name : name[..tick];
    }

    private sealed class Walker(TypeDefinition root, Dictionary<(string, string), SortedSet<(string, string)>> edges)
    {
        private readonly string _namespace = root.Namespace;
        private readonly string _name = SimpleName(root);
        private readonly HashSet<TypeReference> _seen = [];

        public void Type(TypeDefinition type)
        {
            Attributes(type);
            Reference(type.BaseType);
            foreach (var implementation in type.Interfaces)
            {
                Reference(implementation.InterfaceType);
                Attributes(implementation);
            }

            GenericParameters(type);
            foreach (var field in type.Fields)
            {
                Reference(field.FieldType);
                Attributes(field);
            }

            foreach (var property in type.Properties)
            {
                Reference(property.PropertyType);
                Attributes(property);
            }

            foreach (var @event in type.Events)
            {
                Reference(@event.EventType);
                Attributes(@event);
            }

            foreach (var method in type.Methods)
            {
                Method(method);
            }

            foreach (var nested in type.NestedTypes)
            {
                Type(nested);
            }
        }

        private void Method(MethodDefinition method)
        {
            Attributes(method);
            Reference(method.ReturnType);
            Attributes(method.MethodReturnType);
            GenericParameters(method);
            foreach (var parameter in method.Parameters)
            {
                Reference(parameter.ParameterType);
                Attributes(parameter);
            }

            foreach (var overridden in method.Overrides)
            {
                Member(overridden);
            }

            if (!method.HasBody)
            {
                return;
            }

            foreach (var variable in method.Body.Variables)
            {
                Reference(variable.VariableType);
            }

            foreach (var handler in method.Body.ExceptionHandlers)
            {
                Reference(handler.CatchType);
            }

            foreach (var instruction in method.Body.Instructions)
            {
                switch (instruction.Operand)
                {
                    case TypeReference type:
                        Reference(type);
                        break;
                    case MemberReference member:
                        Member(member);
                        break;
                    case CallSite site:
                        Reference(site.ReturnType);
                        foreach (var parameter in site.Parameters)
                        {
                            Reference(parameter.ParameterType);
                        }

                        break;
                }
            }
        }

        private void Member(MemberReference member)
        {
            Reference(member.DeclaringType);
            switch (member)
            {
                case GenericInstanceMethod generic:
                    foreach (var argument in generic.GenericArguments)
                    {
                        Reference(argument);
                    }

                    Member(generic.ElementMethod);
                    break;
                case MethodReference method:
                    Reference(method.ReturnType);
                    foreach (var parameter in method.Parameters)
                    {
                        Reference(parameter.ParameterType);
                    }

                    break;
                case FieldReference field:
                    Reference(field.FieldType);
                    break;
            }
        }

        private void GenericParameters(IGenericParameterProvider provider)
        {
            foreach (var parameter in provider.GenericParameters)
            {
                Attributes(parameter);
                foreach (var constraint in parameter.Constraints)
                {
                    Reference(constraint.ConstraintType);
                    Attributes(constraint);
                }
            }
        }

        private void Attributes(ICustomAttributeProvider provider)
        {
            if (!provider.HasCustomAttributes)
            {
                return;
            }

            foreach (var attribute in provider.CustomAttributes)
            {
                Member(attribute.Constructor);
                foreach (var argument in attribute.ConstructorArguments)
                {
                    Argument(argument);
                }

                foreach (var named in attribute.Fields.Concat(attribute.Properties))
                {
                    Argument(named.Argument);
                }
            }
        }

        private void Argument(CustomAttributeArgument argument)
        {
            Reference(argument.Type);
            switch (argument.Value)
            {
                case TypeReference type:
                    Reference(type);
                    break;
                case CustomAttributeArgument boxed:
                    Argument(boxed);
                    break;
                case CustomAttributeArgument[] array:
                    foreach (var element in array)
                    {
                        Argument(element);
                    }

                    break;
            }
        }

        private void Reference(TypeReference? type)
        {
            if (type is null || !_seen.Add(type))
            {
                return;
            }

            switch (type)
            {
                case GenericInstanceType generic:
                    Reference(generic.ElementType);
                    foreach (var argument in generic.GenericArguments)
                    {
                        Reference(argument);
                    }

                    return;
                case FunctionPointerType pointer:
                    Reference(pointer.ReturnType);
                    foreach (var parameter in pointer.Parameters)
                    {
                        Reference(parameter.ParameterType);
                    }

                    return;
                case IModifierType modified:
                    Reference(modified.ModifierType);
                    Reference(modified.ElementType);
                    return;
                case TypeSpecification specification:
                    Reference(specification.ElementType);
                    return;
                case GenericParameter:
                    return;
            }

            var target = Outermost(type);
            if (!IsGatewayNamespace(target.Namespace) || target.Namespace == _namespace)
            {
                return;
            }

            var key = (_namespace, target.Namespace);
            if (!edges.TryGetValue(key, out var pairs))
            {
                edges[key] = pairs = [];
            }

            pairs.Add((_name, SimpleName(target)));
        }
    }
}
