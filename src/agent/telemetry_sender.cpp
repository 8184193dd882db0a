#include "agent/telemetry_sender.hpp"

#include "format/json_fields.hpp"

namespace edgeai {

Result<FlushReport> flush_telemetry(TelemetryQueue& queue, HttpClient& http, std::int64_t batch_size) {
  using json_fields::json;
  FlushReport report;
  // Whatever ends a round early, the items are no longer out for delivery.
  struct Settle {
    TelemetryQueue& queue;
    ~Settle() { queue.delivery_failed(); }
  } settle{queue};
  for (;;) {
    EDGEAI_ASSIGN_OR_RETURN(std::vector<TelemetryItem> items, queue.take_for_delivery(batch_size));
    if (items.empty()) return report;
    EDGEAI_ASSIGN_OR_RETURN(std::int64_t dropped, queue.dropped());
    json list = json::array();
    for (const TelemetryItem& item : items) {
      list.push_back(
          {{"sequence", item.sequence}, {"kind", item.kind}, {"body", item.body}, {"created_at", item.created_at}});
    }
    EDGEAI_ASSIGN_OR_RETURN(
        HttpReply reply,
        http.post_json("/api/v1/device/telemetry", json_fields::to_text(json{{"dropped", dropped}, {"items", list}})));
    if (reply.status != 200) return io_error("POST /api/v1/device/telemetry: HTTP ", reply.status);
    EDGEAI_ASSIGN_OR_RETURN(json body, json_fields::parse_object(reply.body, "telemetry answer"));
    EDGEAI_ASSIGN_OR_RETURN(std::int64_t acknowledged, json_fields::get_int(body, "acknowledged"));
    if (acknowledged < items.back().sequence) {
      return data_loss("telemetry: the server acknowledged ", acknowledged, " of a batch up to ",
                       items.back().sequence);
    }
    EDGEAI_RETURN_IF_ERROR(queue.acknowledge(items.back().sequence));
    report.items += static_cast<std::int64_t>(items.size());
    ++report.batches;
  }
}

}  // namespace edgeai
