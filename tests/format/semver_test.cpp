#include "format/semver.hpp"

#include <gtest/gtest.h>

namespace edgeai {
namespace {

TEST(SemVer, ParsesTheFullGrammar) {
  Result<SemVer> v = parse_semver("1.22.333-alpha.1.x-y+build.5");
  ASSERT_TRUE(v.is_ok()) << v.status().to_string();
  EXPECT_EQ(v->major, 1u);
  EXPECT_EQ(v->minor, 22u);
  EXPECT_EQ(v->patch, 333u);
  EXPECT_EQ(v->prerelease, (std::vector<std::string>{"alpha", "1", "x-y"}));
  EXPECT_EQ(v->build, "build.5");
  EXPECT_EQ(v->to_string(), "1.22.333-alpha.1.x-y+build.5");
  EXPECT_TRUE(is_semver("0.0.0"));
  EXPECT_TRUE(is_semver("10.20.30+meta"));
}

TEST(SemVer, RefusesWhatTheSpecForbids) {
  for (const char* bad : {"", "1", "1.2", "1.2.3.4", "v1.2.3", "01.2.3", "1.02.3", "1.2.03", "1.2.3-", "1.2.3+",
                          "1.2.3-01", "1.2.3-a..b", "1.2.3-a_b", " 1.2.3", "1.2.3 ", "-1.2.3",
                          "99999999999999999999.0.0"}) {
    Result<SemVer> v = parse_semver(bad);
    EXPECT_FALSE(v.is_ok()) << "'" << bad << "'";
    if (!v.is_ok()) {
      EXPECT_NE(v.status().message().find("is not a semantic version"), std::string::npos);
    }
  }
}

// The precedence example of semver 2.0.0, section 11.
TEST(SemVer, OrdersBySpecPrecedence) {
  const char* ordered[] = {"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2",
                           "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.1.0", "2.0.0", "10.0.0"};
  const std::size_t n = sizeof(ordered) / sizeof(ordered[0]);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < n; ++j) {
      const int c = compare_semver(*parse_semver(ordered[i]), *parse_semver(ordered[j]));
      EXPECT_EQ(c < 0, i < j) << ordered[i] << " vs " << ordered[j];
      EXPECT_EQ(c == 0, i == j) << ordered[i] << " vs " << ordered[j];
    }
  }
  EXPECT_EQ(compare_semver(*parse_semver("1.0.0+a"), *parse_semver("1.0.0+b")), 0);
}

}  // namespace
}  // namespace edgeai
