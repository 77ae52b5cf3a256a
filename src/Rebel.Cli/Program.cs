// The `rebel` command line: parsing and wiring only; algorithms live in the libraries below.
return Rebel.Cli.RebelApp.Run(args);
