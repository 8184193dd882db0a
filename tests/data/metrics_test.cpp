#include "data/metrics.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace edgeai {
namespace {

// Hand-worked: 3 classes, 10 samples.
//   true N: predicted N N N N S      (4 right, 1 as S)
//   true S: predicted S S N          (2 right, 1 as N)
//   true V: predicted V V            (2 right)
ConfusionMatrix example() {
  ConfusionMatrix m({"N", "S", "V"});
  for (int p : {0, 0, 0, 0, 1}) m.add(0, p);
  for (int p : {1, 1, 0}) m.add(1, p);
  for (int p : {2, 2}) m.add(2, p);
  return m;
}

TEST(ConfusionMatrix, HandWorkedFigures) {
  ConfusionMatrix m = example();
  EXPECT_EQ(m.total(), 10);
  EXPECT_DOUBLE_EQ(m.accuracy(), 0.8);
  EXPECT_DOUBLE_EQ(m.sensitivity(0), 4.0 / 5.0);
  EXPECT_DOUBLE_EQ(m.positive_predictivity(0), 4.0 / 5.0);  // 4 of the 5 predicted N
  EXPECT_DOUBLE_EQ(m.sensitivity(1), 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(m.positive_predictivity(1), 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(m.sensitivity(2), 1.0);
  EXPECT_DOUBLE_EQ(m.balanced_accuracy(), (0.8 + 2.0 / 3.0 + 1.0) / 3.0);
  EXPECT_DOUBLE_EQ(m.f1(1), 2.0 / 3.0);
}

TEST(ConfusionMatrix, AbsentClassIsNotAZero) {
  ConfusionMatrix m({"a", "b", "c"});
  m.add(0, 0);
  m.add(1, 0);
  EXPECT_TRUE(std::isnan(m.sensitivity(2)));
  EXPECT_TRUE(std::isnan(m.positive_predictivity(1)));
  EXPECT_DOUBLE_EQ(m.balanced_accuracy(), 0.5);  // mean over a (1.0) and b (0.0)
  EXPECT_NE(m.to_json().find("\"sensitivity\":null"), std::string::npos);
}

TEST(ConfusionMatrix, JsonCarriesAccuracyAndConfusion) {
  const std::string json = example().to_json();
  EXPECT_NE(json.find("\"accuracy\":0.8,"), std::string::npos) << json;
  EXPECT_NE(json.find("\"confusion\":[[4,1,0],[1,2,0],[0,0,2]]"), std::string::npos) << json;
}

TEST(RocAuc, MatchesTheMannWhitneyDefinition) {
  // The scikit-learn documentation example: AUC 0.75.
  EXPECT_DOUBLE_EQ(roc_auc({0.1, 0.4, 0.35, 0.8}, {false, false, true, true}), 0.75);
  EXPECT_DOUBLE_EQ(roc_auc({1, 2, 3}, {false, true, true}), 1.0);
  EXPECT_DOUBLE_EQ(roc_auc({3, 2, 1}, {false, true, true}), 0.0);
  EXPECT_DOUBLE_EQ(roc_auc({1, 1}, {false, true}), 0.5);  // a tie counts one half
  EXPECT_TRUE(std::isnan(roc_auc({1, 2}, {true, true})));
}

}  // namespace
}  // namespace edgeai
