// ObservabilityNotifier: repeated query + named checks, bounded, with a report.
#include "harness/observability.h"

#include <chrono>
#include <stdexcept>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fixtures/assertions.h"

namespace harness {
namespace {

using autoscale::Passed;
using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;
using Notifier = ObservabilityNotifier<int>;

std::string describe(const int& value) { return "value " + std::to_string(value); }

TEST(ObservabilityNotifierTest, PassesOnceEveryCheckPasses) {
  int queries = 0;
  Notifier notifier(
      "the counter to reach 3", [&] { return ++queries; },
      {{"at least 3", [](const int& v) { return v >= 3 ? "" : "is " + std::to_string(v); }},
       {"positive", [](const int& v) { return v > 0 ? "" : std::string("not positive"); }}},
      10s, describe, 1ms);
  EXPECT_TRUE(Passed(notifier.wait()));
  EXPECT_EQ(queries, 3);
  EXPECT_EQ(notifier.last_result(), 3);
}

TEST(ObservabilityNotifierTest, TimeoutListsEveryFailingCheckAndTheLastResult) {
  Notifier notifier(
      "an even number above 100", [] { return 7; },
      {{"even", [](const int& v) { return v % 2 == 0 ? "" : std::to_string(v) + " is odd"; }},
       {"above 100", [](const int& v) { return v > 100 ? "" : std::to_string(v) + " is too small"; }},
       {"positive", [](const int& v) { return v > 0 ? "" : std::string("not positive"); }}},
      100ms, describe, 10ms);
  const auto start = std::chrono::steady_clock::now();
  const WaitResult result = notifier.wait();
  EXPECT_GE(std::chrono::steady_clock::now() - start, 100ms);
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.message(), HasSubstr("timed out after 100 ms awaiting an even number above 100; still failing:"));
  EXPECT_THAT(result.message(), HasSubstr("\n  - even: 7 is odd"));
  EXPECT_THAT(result.message(), HasSubstr("\n  - above 100: 7 is too small"));
  EXPECT_THAT(result.message(), Not(HasSubstr("positive")));
  EXPECT_THAT(result.message(), HasSubstr("last query result: value 7"));
}

TEST(ObservabilityNotifierTest, QueryErrorStopsTheWaitAtOnce) {
  int queries = 0;
  Notifier notifier(
      "the cluster to answer",
      [&]() -> int {
        if (++queries == 2) throw std::runtime_error("connection refused by 127.0.0.1:9");
        return 0;
      },
      {{"nonzero", [](const int& v) { return v != 0 ? "" : std::string("zero"); }}}, 60s, describe, 1ms);
  const auto start = std::chrono::steady_clock::now();
  const WaitResult result = notifier.wait();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s) << "the wait went on after its query failed";
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(queries, 2);
  EXPECT_THAT(result.message(), HasSubstr("while awaiting the cluster to answer: the query failed: connection refused by 127.0.0.1:9"));
  EXPECT_THAT(result.message(), HasSubstr("last query result: value 0"));
}

TEST(ObservabilityNotifierTest, AbortProbeEndsTheWaitWithItsReason) {
  int rounds = 0;
  Notifier notifier(
      "the impossible", [] { return 1; }, {{"never", [](const int&) { return std::string("not yet"); }}}, 60s, describe,
      1ms, [&] { return ++rounds == 3 ? std::string("worker1 exited with status 1") : std::string(); });
  const WaitResult result = notifier.wait();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(rounds, 3);
  EXPECT_THAT(result.message(), HasSubstr("while awaiting the impossible: gave up: worker1 exited with status 1"));
  EXPECT_THAT(result.message(), HasSubstr("last query result: value 1"));
}

TEST(ObservabilityNotifierTest, NoAnswerAtAllIsSaid) {
  Notifier notifier(
      "anything", []() -> int { throw std::runtime_error("down"); }, {}, 1s, describe);
  const WaitResult result = notifier.wait();
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.message(), HasSubstr("last query result: none (no query answered)"));
}

}  // namespace
}  // namespace harness
