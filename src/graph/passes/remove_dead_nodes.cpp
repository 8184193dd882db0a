// Graph pass: remove_dead_nodes. Stub: filled in by the import owner.
