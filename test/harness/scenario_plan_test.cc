// The arithmetic of a scenario (scenarios.md): op sequence and initial size.
#include "harness/scenario_plan.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace harness {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(ScenarioPlanTest, ExpandRepeatsTheOps) {
  EXPECT_THAT(expand_ops({1, -4}, 3), ElementsAre(1, -4, 1, -4, 1, -4));
  EXPECT_TRUE(expand_ops({1}, 0).empty());
}

TEST(ScenarioPlanTest, MinimumInitialWorkersMatchesTheContractExamples) {
  EXPECT_EQ(minimum_initial_workers({-4}, 4), 17);
  EXPECT_EQ(minimum_initial_workers({1, -4}, 4), 13);
  EXPECT_EQ(minimum_initial_workers({4}, 4), 1);
  EXPECT_EQ(minimum_initial_workers({-1, 1}, 4), 2) << "the first partial sum counts";
  EXPECT_EQ(minimum_initial_workers({}, 4), 0);
}

TEST(ScenarioPlanTest, TooFewInitialWorkersIsAMisconfigurationSaidClearly) {
  EXPECT_EQ(check_initial_workers({-4}, 4, 17), std::nullopt);
  EXPECT_EQ(check_initial_workers({}, 1, 10), std::nullopt);
  const auto too_few = check_initial_workers({1, -4}, 4, 12);
  ASSERT_TRUE(too_few);
  EXPECT_THAT(*too_few, HasSubstr("at least 13 initial workers"));
  EXPECT_THAT(*too_few, HasSubstr("drops to -12"));
  EXPECT_THAT(*too_few, HasSubstr("initial is 12"));
  const auto formation_only = check_initial_workers({}, 1, 0);
  ASSERT_TRUE(formation_only);
  EXPECT_THAT(*formation_only, HasSubstr("needs initial > 0"));
  EXPECT_TRUE(check_initial_workers({1}, 0, 5));
}

}  // namespace
}  // namespace harness
