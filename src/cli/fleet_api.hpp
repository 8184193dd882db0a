// The operator's client of the update server's API, shared by the fleet commands (publish,
// campaign, devices, root, report, dataset pull): where the server is, the operator token, and
// every non-2xx answer turned into a CommandError with the server's reason.
#pragma once

#include <httplib.h>

#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/commands.hpp"
#include "format/atomic_file.hpp"

namespace edgeai::cli {

struct Connection {
  std::string server;
  std::string token;
  std::string ca_cert;
  std::string data_dir;
  bool json_output = false;
};

inline void add_connection_options(CLI::App* cmd, Connection& c) {
  cmd->add_option("--server", c.server, "update server URL (default: $EDGEAI_SERVER, else http://127.0.0.1:8080)");
  cmd->add_option("--token", c.token, "operator token (default: $EDGEAI_ADMIN_TOKEN, else DATA_DIR/admin-token)");
  cmd->add_option("--data-dir", c.data_dir, "the server's data directory, to read its admin-token");
  cmd->add_option("--ca-cert", c.ca_cert,
                  "HTTPS: PEM certificate to verify the server with (default: $EDGEAI_CA_CERT)");
  cmd->add_flag("--json", c.json_output, "print the server's JSON answer");
}

inline std::string read_file_text(const std::string& path) { return check(read_whole_file(path)); }

// An API client with the operator's credentials; every non-2xx answer becomes a CommandError
// with the server's reason.
class Api {
 public:
  explicit Api(Connection c) : c_(std::move(c)) {
    if (c_.server.empty())
      c_.server = std::getenv("EDGEAI_SERVER") ? std::getenv("EDGEAI_SERVER") : "http://127.0.0.1:8080";
    if (c_.token.empty() && std::getenv("EDGEAI_ADMIN_TOKEN")) c_.token = std::getenv("EDGEAI_ADMIN_TOKEN");
    if (c_.token.empty() && !c_.data_dir.empty()) c_.token = read_file_text(c_.data_dir + "/admin-token");
    while (!c_.token.empty() && (c_.token.back() == '\n' || c_.token.back() == '\r')) c_.token.pop_back();
    if (c_.token.empty()) {
      throw CommandError("no operator token: pass --token, set EDGEAI_ADMIN_TOKEN, or pass --data-dir of the server");
    }
    if (c_.server.rfind("http://", 0) != 0 && c_.server.rfind("https://", 0) != 0) {
      throw CommandError("--server '" + c_.server + "' must start with http:// or https://");
    }
    if (c_.ca_cert.empty() && std::getenv("EDGEAI_CA_CERT")) c_.ca_cert = std::getenv("EDGEAI_CA_CERT");
    client_ = std::make_unique<httplib::Client>(c_.server);
    if (!c_.ca_cert.empty()) client_->set_ca_cert_path(c_.ca_cert.c_str());
    client_->set_connection_timeout(5, 0);
    client_->set_read_timeout(120, 0);
    client_->set_write_timeout(120, 0);
    client_->set_bearer_token_auth(c_.token.c_str());
  }

  nlohmann::json get(const std::string& path) { return check_reply(client_->Get(path), "GET " + path); }
  nlohmann::json post(const std::string& path, const nlohmann::json& body) {
    return check_reply(client_->Post(path, body.dump(), "application/json"), "POST " + path);
  }
  nlohmann::json post_text(const std::string& path, const std::string& body) {
    return check_reply(client_->Post(path, body, "application/json"), "POST " + path);
  }
  nlohmann::json put(const std::string& path, const nlohmann::json& body) {
    return check_reply(client_->Put(path, body.dump(), "application/json"), "PUT " + path);
  }
  nlohmann::json post_multipart(const std::string& path, const httplib::MultipartFormDataItems& items) {
    return check_reply(client_->Post(path, items), "POST " + path);
  }
  bool json_output() const { return c_.json_output; }

 private:
  nlohmann::json check_reply(const httplib::Result& r, const std::string& what) {
    if (!r) {
      throw CommandError(str_cat(what, ": cannot reach ", c_.server, " (", httplib::to_string(r.error()),
                                 "): is `edgeai server` running there?"));
    }
    nlohmann::json body = nlohmann::json::parse(r->body, nullptr, false);
    if (r->status < 200 || r->status >= 300) {
      const std::string reason =
          body.is_object() && body.contains("error") ? body["error"].get<std::string>() : r->body.substr(0, 200);
      throw CommandError(str_cat(what, ": HTTP ", r->status, ": ", reason));
    }
    if (body.is_discarded()) throw CommandError(what + ": the server's answer is not JSON");
    return body;
  }

  Connection c_;
  std::unique_ptr<httplib::Client> client_;
};

// Standard base64 (RFC 4648) without line breaks: how sample bytes travel in JSON.
std::string base64_decode(const std::string& text);

}  // namespace edgeai::cli
