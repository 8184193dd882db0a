// Graph pass: constant_folding. Stub: filled in by the import owner.
