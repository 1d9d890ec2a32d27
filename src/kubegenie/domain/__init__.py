"""Pure models and vocabulary shared by every layer (and by the sandbox): no I/O here."""
