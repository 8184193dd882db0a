// The update server's API description, served as /openapi.json (OpenAPI 3.0).
#pragma once

#include <string>

namespace edgeai::server {

const std::string& openapi_document();

}  // namespace edgeai::server
