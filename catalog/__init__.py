"""The code catalog, shipped as package data: one CSV per provider (see README.md)."""
