"""Project-manager forms, one module per record type."""
