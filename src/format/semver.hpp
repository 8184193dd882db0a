// Semantic versions (https://semver.org/spec/v2.0.0.html) of models: the bundle manifest
// carries one, and an update is accepted only if it is newer. Depends only on core.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.hpp"

namespace edgeai {

struct SemVer {
  std::uint64_t major = 0;
  std::uint64_t minor = 0;
  std::uint64_t patch = 0;
  std::vector<std::string> prerelease;  // dot-separated identifiers after '-'
  std::string build;                    // after '+'; ignored for precedence

  std::string to_string() const;
};

// Parses MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD] per semver 2.0.0 (no leading zeros, no 'v').
Result<SemVer> parse_semver(std::string_view text);
bool is_semver(std::string_view text);
// <0, 0, >0 by semver precedence (section 11): build metadata does not count, a pre-release
// sorts before its release, numeric identifiers compare numerically.
int compare_semver(const SemVer& a, const SemVer& b);

}  // namespace edgeai
