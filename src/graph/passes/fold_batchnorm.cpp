// Graph pass: fold_batchnorm. Stub: filled in by the import owner.
