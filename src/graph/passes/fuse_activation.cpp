// Graph pass: fuse_activation. Stub: filled in by the import owner.
