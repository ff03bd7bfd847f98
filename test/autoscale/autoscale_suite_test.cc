// The autoscale suite (scenarios.md). Every scenario is one test named for
// its ops, under a prefix for its part of the matrix:
//   Autoscale/AutoscaleTest.KeepsEveryRecord/grow_by_1_shrink_by_many_x4
//   Setup/AutoscaleTest.KeepsEveryRecord/form_50_workers
//   LogLines/...  (also awaits the workers' milestone lines)
//   Extra/...     (from AUTOSCALE_EXTRA_SCENARIOS)
#include <gtest/gtest.h>

#include "fixtures/autoscale_test.h"

namespace autoscale {
namespace {

TEST_P(AutoscaleTest, KeepsEveryRecord) {
  ASSERT_TRUE(FormCluster());
  ASSERT_TRUE(StartTraffic());
  const std::vector<int> sequence = Sequence();
  for (std::size_t i = 0; i < sequence.size(); ++i) {
    SCOPED_TRACE(testing::Message() << "op " << i + 1 << "/" << sequence.size() << " (" << sequence[i] << ")");
    ASSERT_TRUE(ApplyOp(sequence[i]));
  }
  ASSERT_TRUE(StopTraffic());
  EXPECT_TRUE(EveryRecordCountedOnce());
}

INSTANTIATE_TEST_SUITE_P(Autoscale, AutoscaleTest, ::testing::ValuesIn(autoscale_matrix()), scenario_test_name);
INSTANTIATE_TEST_SUITE_P(Setup, AutoscaleTest, ::testing::ValuesIn(setup_matrix()), scenario_test_name);
INSTANTIATE_TEST_SUITE_P(LogLines, AutoscaleTest, ::testing::ValuesIn(log_line_scenarios()), scenario_test_name);
// None unless AUTOSCALE_EXTRA_SCENARIOS is set when ctest runs.
INSTANTIATE_TEST_SUITE_P(Extra, AutoscaleTest, ::testing::ValuesIn(extra_scenarios_from_env()), scenario_test_name);

}  // namespace
}  // namespace autoscale
