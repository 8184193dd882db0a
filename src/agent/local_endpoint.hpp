// The device's local inference endpoint (issue 7): lets the device's own application ask the
// active model for an inference over HTTP on 127.0.0.1 only (never another interface: it carries
// raw inputs). Routes:
//   POST /v1/infer    body: a PNG or JPEG (Content-Type image/png, image/jpeg or
//                     application/octet-stream), preprocessed as the bundle declares; or JSON
//                     {"inputs": {"<input name>": [numbers...], ...}} with one flat array per
//                     model input (batch 1, row-major). Answers the event:
//                     {"label", "label_index", "confidence", "anomaly", "uncertain", "latency_ms",
//                      "model_version", "probabilities": {label: p}}
//   GET  /v1/model    the active model: name, version, labels, inputs
//   GET  /v1/status   inferences, dropped frames, errors, alerts so far
// Errors: 400 with {"error": "..."} naming what was wrong; the service goes on.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "agent/inference_service.hpp"
#include "core/status.hpp"

namespace httplib {
class Server;
}

namespace edgeai {

class LocalEndpoint {
 public:
  // Binds 127.0.0.1:`port` (0: any free port) and serves on a thread of its own.
  static Result<std::unique_ptr<LocalEndpoint>> start(InferenceService& service, int port);
  ~LocalEndpoint();

  int port() const { return port_; }
  void stop();

 private:
  LocalEndpoint() = default;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace edgeai
