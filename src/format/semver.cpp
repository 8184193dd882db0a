#include "format/semver.hpp"

#include <limits>

namespace edgeai {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_ident_char(char c) { return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-'; }
bool is_numeric(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!is_digit(c)) return false;
  }
  return true;
}

// A numeric identifier: "0" or digits without a leading zero, fitting in 64 bits.
bool parse_number(std::string_view s, std::uint64_t& out) {
  if (!is_numeric(s) || (s.size() > 1 && s[0] == '0')) return false;
  out = 0;
  for (char c : s) {
    const auto digit = static_cast<std::uint64_t>(c - '0');
    if (out > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) return false;
    out = out * 10 + digit;
  }
  return true;
}

// Splits on '.', every part a non-empty run of [0-9A-Za-z-].
bool split_identifiers(std::string_view s, std::vector<std::string>& out) {
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = s.find('.', start);
    const std::string_view part = s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (part.empty()) return false;
    for (char c : part) {
      if (!is_ident_char(c)) return false;
    }
    out.emplace_back(part);
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

}  // namespace

std::string SemVer::to_string() const {
  std::string out = str_cat(major, ".", minor, ".", patch);
  for (std::size_t i = 0; i < prerelease.size(); ++i) out += (i == 0 ? "-" : ".") + prerelease[i];
  if (!build.empty()) out += "+" + build;
  return out;
}

Result<SemVer> parse_semver(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return invalid_argument("'", text, "' is not a semantic version MAJOR.MINOR.PATCH: ", why);
  };
  SemVer v;
  std::string_view rest = text;
  if (const std::size_t plus = rest.find('+'); plus != std::string_view::npos) {
    std::vector<std::string> build_ids;
    if (!split_identifiers(rest.substr(plus + 1), build_ids)) return bad("bad build metadata");
    v.build = std::string(rest.substr(plus + 1));
    rest = rest.substr(0, plus);
  }
  if (const std::size_t dash = rest.find('-'); dash != std::string_view::npos) {
    if (!split_identifiers(rest.substr(dash + 1), v.prerelease)) return bad("bad pre-release");
    for (const std::string& id : v.prerelease) {
      if (is_numeric(id) && id.size() > 1 && id[0] == '0') return bad("numeric pre-release identifier with a leading zero");
    }
    rest = rest.substr(0, dash);
  }
  std::uint64_t* parts[3] = {&v.major, &v.minor, &v.patch};
  for (int i = 0; i < 3; ++i) {
    const std::size_t dot = rest.find('.');
    const std::string_view number = i < 2 ? rest.substr(0, dot) : rest;
    if (i < 2 && dot == std::string_view::npos) return bad("expected three numbers separated by '.'");
    if (!parse_number(number, *parts[i])) return bad("each of MAJOR, MINOR, PATCH must be a number without leading zeros");
    if (i < 2) rest = rest.substr(dot + 1);
  }
  return v;
}

bool is_semver(std::string_view text) { return parse_semver(text).is_ok(); }

int compare_semver(const SemVer& a, const SemVer& b) {
  auto cmp = [](std::uint64_t x, std::uint64_t y) { return x < y ? -1 : (x > y ? 1 : 0); };
  if (int c = cmp(a.major, b.major)) return c;
  if (int c = cmp(a.minor, b.minor)) return c;
  if (int c = cmp(a.patch, b.patch)) return c;
  if (a.prerelease.empty() || b.prerelease.empty()) {
    return a.prerelease.empty() == b.prerelease.empty() ? 0 : (a.prerelease.empty() ? 1 : -1);
  }
  for (std::size_t i = 0; i < a.prerelease.size() && i < b.prerelease.size(); ++i) {
    const std::string& x = a.prerelease[i];
    const std::string& y = b.prerelease[i];
    const bool x_num = is_numeric(x);
    const bool y_num = is_numeric(y);
    if (x_num && y_num) {
      // Numeric identifiers have no leading zeros, so the longer one is larger.
      if (x.size() != y.size()) return x.size() < y.size() ? -1 : 1;
      if (x != y) return x < y ? -1 : 1;
    } else if (x_num != y_num) {
      return x_num ? -1 : 1;  // numeric identifiers sort before alphanumeric ones
    } else if (x != y) {
      return x < y ? -1 : 1;
    }
  }
  return cmp(a.prerelease.size(), b.prerelease.size());
}

}  // namespace edgeai
