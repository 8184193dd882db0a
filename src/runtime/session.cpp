// Stub: the runtime session.
