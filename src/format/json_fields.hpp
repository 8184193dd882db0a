// JSON without exceptions for the documents OTA updates exchange (trust metadata, deltas,
// the agent's record): parsing that reports a value, field reads that check the type first,
// and serialisation that replaces invalid UTF-8 instead of throwing. Header-only over
// nlohmann-json; include it only from .cpp files that link it.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/status.hpp"

namespace edgeai::json_fields {

using nlohmann::json;

inline Result<json> parse_object(std::string_view text, std::string_view what) {
  json j = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return invalid_argument(what, ": not a JSON object");
  return j;
}

// A missing field or one of another type is an error naming it.
inline Result<std::string> get_string(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return invalid_argument("field '", key, "' missing or not a string");
  return it->get<std::string>();
}
inline Result<std::int64_t> get_int(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer()) return invalid_argument("field '", key, "' missing or not an integer");
  return it->get<std::int64_t>();
}
// Optional fields: the value when present with its type, else `fallback`.
inline std::int64_t get_int_or(const json& j, const char* key, std::int64_t fallback) {
  auto it = j.find(key);
  return it != j.end() && it->is_number_integer() ? it->get<std::int64_t>() : fallback;
}
inline std::string get_string_or(const json& j, const char* key, std::string fallback) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::move(fallback);
}
inline bool get_bool_or_false(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_boolean() && it->get<bool>();
}

inline std::string to_text(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

}  // namespace edgeai::json_fields
