"""One module per lab experiment; each exposes HELP, add_arguments(parser) and run(args) for the CLI."""
