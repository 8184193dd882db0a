#include "agent/local_endpoint.hpp"

#include <httplib.h>

#include <nlohmann/json.hpp>

namespace edgeai {
namespace {

using nlohmann::json;

void reply_error(httplib::Response& res, int code, const std::string& message) {
  res.status = code;
  res.set_content(json{{"error", message}}.dump(), "application/json");
}

json event_json(const InferenceEvent& e, const std::vector<std::string>& labels,
                const std::vector<float>& probabilities) {
  json j{{"label", e.label},
         {"label_index", e.prediction.label},
         {"confidence", e.prediction.confidence},
         {"anomaly", e.prediction.anomaly},
         {"uncertain", e.prediction.uncertain},
         {"latency_ms", e.prediction.latency_ms},
         {"model_version", e.model_version}};
  json p = json::object();
  for (std::size_t i = 0; i < probabilities.size() && i < labels.size(); ++i) p[labels[i]] = probabilities[i];
  j["probabilities"] = p;
  return j;
}

// {"inputs": {"name": [numbers]}} into tensors shaped as the model's inputs with batch 1.
Result<std::vector<Tensor>> json_inputs(const std::string& body, const std::vector<ValueInfo>& inputs) {
  const json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("inputs") || !j["inputs"].is_object()) {
    return invalid_argument("expected JSON {\"inputs\": {\"<input name>\": [numbers...]}}");
  }
  std::vector<Tensor> tensors;
  for (const ValueInfo& info : inputs) {
    if (!j["inputs"].contains(info.name)) return invalid_argument("input '", info.name, "' is missing");
    const json& values = j["inputs"][info.name];
    Shape shape = info.shape;
    for (std::int64_t& d : shape) d = d < 0 ? 1 : d;
    const std::int64_t n = element_count(shape).value_or(0);
    if (!values.is_array() || static_cast<std::int64_t>(values.size()) != n) {
      return invalid_argument("input '", info.name, "' needs ", n, " numbers (", shape_to_string(shape), ")");
    }
    std::vector<float> v;
    v.reserve(values.size());
    for (const json& x : values) {
      if (!x.is_number()) return invalid_argument("input '", info.name, "' holds something that is not a number");
      v.push_back(x.get<float>());
    }
    tensors.push_back(Tensor::from_vector<float>(shape, v));
  }
  return tensors;
}

}  // namespace

Result<std::unique_ptr<LocalEndpoint>> LocalEndpoint::start(InferenceService& service, int port) {
  if (port < 0 || port > 65535) return invalid_argument("--listen: port ", port, " is not 0..65535");
  std::unique_ptr<LocalEndpoint> endpoint(new LocalEndpoint());
  endpoint->server_ = std::make_unique<httplib::Server>();
  httplib::Server& server = *endpoint->server_;
  server.set_payload_max_length(64u << 20);
  InferenceService* s = &service;

  server.Post("/v1/infer", [s](const httplib::Request& req, httplib::Response& res) {
    const std::string type = req.get_header_value("Content-Type");
    Result<InferenceEvent> event = internal_error("no request");
    if (type.rfind("application/json", 0) == 0) {
      Result<std::vector<Tensor>> tensors = json_inputs(req.body, s->model_inputs());
      if (!tensors.is_ok()) return reply_error(res, 400, tensors.status().message());
      std::vector<TensorView> views;
      for (const Tensor& t : *tensors) views.push_back(t.view());
      event = s->infer(views, "local request");
    } else {
      event = s->infer_image(
          std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(req.body.data()), req.body.size()),
          "local request");
    }
    if (!event.is_ok()) return reply_error(res, 400, event.status().to_string());
    res.set_content(event_json(*event, s->labels(), event->probabilities).dump(), "application/json");
  });
  server.Get("/v1/model", [s](const httplib::Request&, httplib::Response& res) {
    json inputs = json::array();
    for (const ValueInfo& v : s->model_inputs()) inputs.push_back({{"name", v.name}, {"shape", v.shape}});
    res.set_content(json{{"version", s->model_version()}, {"labels", s->labels()}, {"inputs", inputs}}.dump(),
                    "application/json");
  });
  server.Get("/v1/status", [s](const httplib::Request&, httplib::Response& res) {
    const ServiceTotals t = s->totals();
    res.set_content(json{{"model_version", s->model_version()},
                         {"inferences", t.inferences},
                         {"dropped", t.dropped},
                         {"errors", t.errors},
                         {"anomalies", t.anomalies},
                         {"alerts", t.alerts}}
                        .dump(),
                    "application/json");
  });

  // Loopback only: the endpoint takes raw inputs, which must not be reachable from the network.
  endpoint->port_ =
      port == 0 ? server.bind_to_any_port("127.0.0.1") : (server.bind_to_port("127.0.0.1", port) ? port : -1);
  if (endpoint->port_ <= 0) return io_error("cannot listen on 127.0.0.1:", port, " (in use?)");
  endpoint->thread_ = std::thread([&server] { server.listen_after_bind(); });
  return endpoint;
}

LocalEndpoint::~LocalEndpoint() { stop(); }

void LocalEndpoint::stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace edgeai
