"""One small adapter per provider (base.py and one module each), a transport that sends their
requests (transport.py), what each offers (catalogue.py) and a registry. Import from the module
that holds a name: this package imports nothing, so the tool definitions need none of it."""
