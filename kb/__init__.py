"""kb: knowledge base and self-service search for IT service desks."""

__version__ = "0.1.0"
