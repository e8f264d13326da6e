"""Project-manager pages, one module per record type; home lists the person's projects."""
