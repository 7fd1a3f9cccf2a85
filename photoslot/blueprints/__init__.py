"""Thin HTTP layers: parse the request, call a service, shape the response."""
