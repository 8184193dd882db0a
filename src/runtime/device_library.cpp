// libedgeai_device.so: what a device links to run a bundle. The entry points below open a
// bundle and run a session; the linker takes from the runtime, kernel, format, graph and
// core archives everything they reach (every kernel, through the registry), nothing else.
#include <memory>

#include "format/bundle.hpp"
#include "runtime/session.hpp"

extern "C" {

// Opens the bundle at `path` and plans a session with `threads` threads; null on error.
__attribute__((visibility("default"))) void* edgeai_session_open(const char* path, int threads) {
  edgeai::Result<edgeai::Bundle> bundle = edgeai::read_bundle(path);
  if (!bundle.is_ok()) return nullptr;
  edgeai::SessionOptions options;
  options.threads = threads;
  edgeai::Result<std::unique_ptr<edgeai::Session>> session =
      edgeai::Session::create(std::move(bundle).value(), options);
  return session.is_ok() ? std::move(session).value().release() : nullptr;
}

// Runs the session on its single float32 input; 0 on success.
__attribute__((visibility("default"))) int edgeai_session_run(void* session, const float* input) {
  auto* s = static_cast<edgeai::Session*>(session);
  if (s == nullptr || s->inputs().size() != 1) return 1;
  const edgeai::ValueInfo& in = s->inputs()[0];
  edgeai::TensorView view{in.dtype, in.shape, const_cast<float*>(input)};
  return s->run(std::span<const edgeai::TensorView>(&view, 1)).is_ok() ? 0 : 1;
}

__attribute__((visibility("default"))) void edgeai_session_close(void* session) {
  delete static_cast<edgeai::Session*>(session);
}
}
