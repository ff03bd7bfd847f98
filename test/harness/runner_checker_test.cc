// RunnerChecker: patterns matched line by line and in order, from an offset;
// a dead runner fails the wait at once, a timeout names what is missing.
#include "harness/runner_checker.h"

#include <chrono>
#include <memory>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "harness/temp_dir.h"
#include "fixtures/assertions.h"

namespace {

using harness::Runner;
using harness::RunnerChecker;
using autoscale::Passed;
using namespace std::chrono_literals;
using ::testing::HasSubstr;

class RunnerCheckerTest : public ::testing::Test {
 protected:
  Runner& shell(const std::string& script) {
    runner_ = std::make_unique<Runner>("checked", std::vector<std::string>{"/bin/sh", "-c", script},
                                       dir_.path() / "checked.log");
    runner_->start();
    return *runner_;
  }
  harness::TempDir dir_{"runner_checker_test."};
  std::unique_ptr<Runner> runner_;
};

TEST_F(RunnerCheckerTest, MatchesPatternsInOrder) {
  Runner& runner = shell("printf 'alpha\\nbeta\\ngamma\\ndelta\\n'; exec sleep 1000");
  RunnerChecker checker(runner, {"^alpha$", "gam+a"}, 10s);
  ASSERT_TRUE(Passed(checker.wait()));
  // Just past "gamma\n".
  EXPECT_EQ(checker.end_offset(), std::string("alpha\nbeta\ngamma\n").size());
}

TEST_F(RunnerCheckerTest, OutOfOrderDoesNotMatch) {
  Runner& runner = shell("echo second; echo first; exec sleep 1000");
  auto result = RunnerChecker(runner, {"first", "second"}, 300ms).wait();
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.message(), HasSubstr("timed out"));
  EXPECT_THAT(result.message(), HasSubstr("matched 1 of 2"));
  EXPECT_THAT(result.message(), HasSubstr("'second'"));
  EXPECT_THAT(result.message(), HasSubstr("it is running"));
}

TEST_F(RunnerCheckerTest, FailsFastWhenTheRunnerDies) {
  Runner& runner = shell("echo starting up; echo cannot bind >&2; exit 7");
  auto before = std::chrono::steady_clock::now();
  auto result = RunnerChecker(runner, {"never printed"}, 60s).wait();
  auto took = std::chrono::steady_clock::now() - before;
  ASSERT_FALSE(result.ok());
  EXPECT_LT(took, 10s) << "the wait should end when the runner dies, not at the timeout";
  EXPECT_THAT(result.message(), HasSubstr("exited 7"));
  EXPECT_THAT(result.message(), HasSubstr("'never printed'"));
  EXPECT_THAT(result.message(), HasSubstr("cannot bind"));  // the output tail
}

TEST_F(RunnerCheckerTest, TimeoutMessageNamesTheMissingPatternAndTheTail) {
  Runner& runner = shell("echo some progress; exec sleep 1000");
  auto result = harness::wait_for_ready(runner, "Application has successfully initialized", 200ms);
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.message(), HasSubstr("'Application has successfully initialized'"));
  EXPECT_THAT(result.message(), HasSubstr("some progress"));
  EXPECT_THAT(result.message(), HasSubstr("checked.log"));
}

TEST_F(RunnerCheckerTest, SearchStartsAtTheGivenOffset) {
  Runner& runner = shell("echo ready; exec sleep 1000");
  ASSERT_TRUE(Passed(harness::wait_for_ready(runner, "^ready$", 10s)));
  // The same line again, but only output after `tell()` counts.
  auto result = harness::wait_for_ready(runner, "^ready$", 200ms, runner.tell());
  EXPECT_FALSE(result.ok());
}

TEST_F(RunnerCheckerTest, LineWrittenInPiecesIsMatchedWhole) {
  // The first piece alone does not match "^ready$"; it must not be taken for a line.
  Runner& runner = shell("printf 'rea'; sleep 0.2; printf 'dy\\n'; exec sleep 1000");
  ASSERT_TRUE(Passed(harness::wait_for_ready(runner, "^ready$", 10s)));
}

TEST_F(RunnerCheckerTest, LastLineWithoutNewlineCountsOnceTheRunnerExited) {
  Runner& runner = shell("printf 'first\\ndone'");
  RunnerChecker checker(runner, {"^first$", "^done$"}, 10s);
  ASSERT_TRUE(Passed(checker.wait()));
  EXPECT_EQ(checker.end_offset(), std::string("first\ndone").size());
}

TEST_F(RunnerCheckerTest, BadPatternIsAClearError) {
  Runner& runner = shell("exec sleep 1000");
  try {
    RunnerChecker checker(runner, {"ok", "unclosed (group"}, 1s);
    FAIL() << "a bad regex should be refused";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("unclosed (group"));
  }
  EXPECT_THROW(RunnerChecker(runner, {}, 1s), std::invalid_argument);
}

}  // namespace
