// Stub: the .eai bundle reader/writer is filled in by the format owner.
