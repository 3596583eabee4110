using Gateway.Hosting;

// Before anything touches a socket: the runtime reads the switch once.
InlineIo.Enable();

return await GatewayCli.RunAsync(args, Console.Out, Console.Error);
