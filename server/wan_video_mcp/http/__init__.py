"""Serving MCP over streamable HTTP: the transport's own limits (and, later, its auth)."""
