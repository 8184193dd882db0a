// The agent's link to the update server (issue 6): JSON requests with the device's bearer
// credential, and ranged artifact downloads, over cpp-httplib (HTTP or HTTPS). Every failure
// is a Status naming the request and why; nothing throws out of here.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/status.hpp"

namespace httplib {
class Client;
}

namespace edgeai {

struct HttpReply {
  int status = 0;
  std::string body;
  std::string etag;
};

class HttpClient {
 public:
  // `base_url`: "http://host:port" or "https://host:port". `ca_cert`: a PEM file to verify the
  // server against (HTTPS; empty: the system's certificates).
  static Result<std::unique_ptr<HttpClient>> create(const std::string& base_url, const std::string& ca_cert = "");
  ~HttpClient();

  void set_credential(std::string credential) { credential_ = std::move(credential); }
  // A second client to the same server with the same credential, for another thread (a
  // client is not safe to share between threads).
  Result<std::unique_ptr<HttpClient>> clone() const;
  const std::string& base_url() const { return base_url_; }

  // Any status the server answered is a reply; only no answer at all is an error.
  Result<HttpReply> get(const std::string& path, const std::string& if_none_match = "", int timeout_seconds = 30);
  Result<HttpReply> post_json(const std::string& path, const std::string& body, int timeout_seconds = 30);
  // Bytes `offset` to `offset + max_bytes - 1` (offset < 0: the whole resource, no Range). A
  // server that sends more than `max_bytes` is cut off and reported as data loss (endless
  // data), not as a network error to retry; HTTP 404 is not_found.
  Result<std::vector<std::uint8_t>> get_range(const std::string& path, std::int64_t offset, std::size_t max_bytes);

 private:
  HttpClient() = default;
  std::string base_url_, credential_, ca_cert_;
  std::unique_ptr<httplib::Client> client_;
};

// "host:port" style URL check: scheme http or https, no path.
Status check_server_url(const std::string& url);

}  // namespace edgeai
