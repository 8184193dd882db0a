// Stub: evaluates one node with the reference kernels (constant folding at import).
