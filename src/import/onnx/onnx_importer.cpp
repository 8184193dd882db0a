// Stub: ONNX import.
