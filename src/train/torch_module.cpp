// Stub: IR graph as a libtorch module.
