#include "agent/http_client.hpp"

#include <httplib.h>

namespace edgeai {

Status check_server_url(const std::string& url) {
  const bool http = url.rfind("http://", 0) == 0, https = url.rfind("https://", 0) == 0;
  if (!http && !https) return invalid_argument("server URL '", url, "' must start with http:// or https://");
  const std::string rest = url.substr(http ? 7 : 8);
  if (rest.empty() || rest.find('/') != std::string::npos) {
    return invalid_argument("server URL '", url, "' must be scheme://host[:port], without a path");
  }
  return Status::ok();
}

HttpClient::~HttpClient() = default;

Result<std::unique_ptr<HttpClient>> HttpClient::create(const std::string& base_url, const std::string& ca_cert) {
  EDGEAI_RETURN_IF_ERROR(check_server_url(base_url));
  std::unique_ptr<HttpClient> c(new HttpClient());
  c->base_url_ = base_url;
  c->ca_cert_ = ca_cert;
  c->client_ = std::make_unique<httplib::Client>(base_url);
  if (!ca_cert.empty()) c->client_->set_ca_cert_path(ca_cert.c_str());
  c->client_->set_connection_timeout(5, 0);
  c->client_->set_keep_alive(true);
  c->client_->set_tcp_nodelay(true);  // small requests: no ~40 ms Nagle delay on a kept-alive connection
  return c;
}

Result<std::unique_ptr<HttpClient>> HttpClient::clone() const {
  EDGEAI_ASSIGN_OR_RETURN(std::unique_ptr<HttpClient> c, create(base_url_, ca_cert_));
  c->credential_ = credential_;
  return c;
}

namespace {

Result<HttpReply> to_reply(const httplib::Result& result, const std::string& what) {
  if (!result) return io_error(what, ": no answer (", httplib::to_string(result.error()), ")");
  HttpReply reply;
  reply.status = result->status;
  reply.body = result->body;
  reply.etag = result->get_header_value("ETag");
  return reply;
}

}  // namespace

Result<HttpReply> HttpClient::get(const std::string& path, const std::string& if_none_match, int timeout_seconds) {
  httplib::Headers headers;
  if (!credential_.empty()) headers.emplace("Authorization", "Bearer " + credential_);
  if (!if_none_match.empty()) headers.emplace("If-None-Match", if_none_match);
  client_->set_read_timeout(timeout_seconds, 0);
  return to_reply(client_->Get(path, headers), "GET " + base_url_ + path);
}

Result<HttpReply> HttpClient::post_json(const std::string& path, const std::string& body, int timeout_seconds) {
  httplib::Headers headers;
  if (!credential_.empty()) headers.emplace("Authorization", "Bearer " + credential_);
  client_->set_read_timeout(timeout_seconds, 0);
  return to_reply(client_->Post(path, headers, body, "application/json"), "POST " + base_url_ + path);
}

Result<std::vector<std::uint8_t>> HttpClient::get_range(const std::string& path, std::int64_t offset,
                                                        std::size_t max_bytes) {
  httplib::Headers headers;
  if (!credential_.empty()) headers.emplace("Authorization", "Bearer " + credential_);
  if (offset >= 0)
    headers.emplace("Range", str_cat("bytes=", offset, "-", offset + static_cast<std::int64_t>(max_bytes) - 1));
  client_->set_read_timeout(30, 0);
  std::vector<std::uint8_t> bytes;
  bool cut = false;
  int status = 0;
  httplib::Result result = client_->Get(
      path, headers,
      [&](const httplib::Response& response) {
        status = response.status;
        return true;
      },
      [&](const char* data, std::size_t length) {
        if (status != 200 && status != 206) {
          return true;  // an error's body: read below
        }
        const std::size_t room = max_bytes - std::min(max_bytes, bytes.size());
        bytes.insert(bytes.end(), data, data + std::min(room, length));
        if (length > room) {
          cut = true;  // more than asked: stop reading, keep what fits
          return false;
        }
        return true;
      });
  if (cut) {
    // Asked for a range, got more: a broken or hostile server (endless data). Not a network
    // hiccup to retry: the update fails.
    return data_loss("GET ", base_url_, path, ": the server sent more than the ", max_bytes, " bytes asked for");
  }
  if (!result) return io_error("GET ", base_url_, path, ": no answer (", httplib::to_string(result.error()), ")");
  if (status == 200 && offset > 0) {
    // The server ignored the range: skip to the offset in what it sent (rarely needed).
    return io_error("GET ", base_url_, path, ": the server ignored the byte range");
  }
  if (status == 404) return not_found("GET ", base_url_, path, ": HTTP 404");
  if (status != 200 && status != 206) return io_error("GET ", base_url_, path, ": HTTP ", status);
  return bytes;
}

}  // namespace edgeai
