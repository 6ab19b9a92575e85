"""The bundled sample logs, shipped as package data for `deliverability dashboard --demo`."""
