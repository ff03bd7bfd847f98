// The suite's failure path, seen as a user sees it: the autoscale suite is
// run as a program on a scenario made to fail, and its output must carry the
// report of scenarios.md (ops done so far, what was awaited, the workers'
// output) while leaving no worker process and no temporary directory behind.
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "harness/runner.h"
#include "harness/temp_dir.h"

namespace autoscale {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

constexpr auto kSuiteTimeout = std::chrono::seconds(240);

class FailureReportTest : public ::testing::Test {
 protected:
  // Runs the suite's Extra scenarios with `env` (NAME=value entries) and
  // returns its output; the suite must have failed.
  std::string RunFailingSuite(std::vector<std::string> env) {
    std::vector<std::string> argv = {"/usr/bin/env", "AUTOSCALE_SELFTEST_MARKER=" + marker()};
    argv.insert(argv.end(), env.begin(), env.end());
    argv.push_back(AUTOSCALE_SUITE_PATH);
    argv.push_back("--gtest_filter=Extra/*");
    harness::Runner suite("autoscale_suite", argv, temp_dir_.path() / "suite.log");
    suite.start();
    if (!suite.wait_for(kSuiteTimeout)) {
      suite.kill();
      ADD_FAILURE() << "the suite did not finish within " << kSuiteTimeout.count() << " s; its output:\n"
                    << suite.tail(60);
      return suite.output();
    }
    EXPECT_NE(suite.poll(), 0) << "a scenario made to fail passed; output:\n" << suite.output();
    return suite.output();
  }

  // Processes whose environment carries this test's marker: workers the suite left behind.
  std::vector<std::string> LeftoverProcesses() const {
    std::vector<std::string> left;
    for (const auto& entry : fs::directory_iterator("/proc")) {
      const std::string pid = entry.path().filename();
      if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
      std::ifstream environ(entry.path() / "environ", std::ios::binary);
      std::string vars((std::istreambuf_iterator<char>(environ)), std::istreambuf_iterator<char>());
      if (vars.find("AUTOSCALE_SELFTEST_MARKER=" + marker()) == std::string::npos) continue;
      std::ifstream cmdline(entry.path() / "cmdline", std::ios::binary);
      std::string cmd((std::istreambuf_iterator<char>(cmdline)), std::istreambuf_iterator<char>());
      std::replace(cmd.begin(), cmd.end(), '\0', ' ');
      left.push_back(pid + ": " + cmd);
    }
    return left;
  }

  // The scenario's own temporary directories, as its diagnostics name them.
  static std::vector<std::string> NamedTempDirs(const std::string& output) {
    static const std::regex dir_re(R"(of the failed test, in (\S+) ====)");
    std::vector<std::string> dirs;
    for (std::sregex_iterator it(output.begin(), output.end(), dir_re), end; it != end; ++it)
      dirs.push_back((*it)[1].str());
    return dirs;
  }

  std::string marker() const { return temp_dir_.path().string(); }

  harness::TempDir temp_dir_{"failure-report-test."};
};

TEST_F(FailureReportTest, TooFewInitialWorkersFailsFastSayingWhy) {
  // Shrinking by 2 from 2 workers would leave none: the test must say so before starting anything.
  const std::string output = RunFailingSuite({"AUTOSCALE_EXTRA_SCENARIOS=-2x1@2"});
  EXPECT_THAT(output, HasSubstr("misconfigured scenario"));
  EXPECT_THAT(output, HasSubstr("need at least 3 initial workers"));
  EXPECT_THAT(output, HasSubstr("shrink_by_2_x1_from_2"));
  EXPECT_THAT(LeftoverProcesses(), ::testing::IsEmpty());
}

TEST_F(FailureReportTest, MalformedExtraScenarioFailsSayingWhy) {
  const std::string output = RunFailingSuite({"AUTOSCALE_EXTRA_SCENARIOS=grow by one"});
  EXPECT_THAT(output, HasSubstr("is not OPS x CYCLES"));
  EXPECT_THAT(output, HasSubstr("grow by one"));
}

TEST_F(FailureReportTest, ScenarioPastItsBudgetFailsAndCleansUp) {
  // A scenario that cannot finish in its budget fails by itself (instead of
  // being killed by ctest's timeout, which would leave no report).
  const std::string output =
      RunFailingSuite({"AUTOSCALE_SCENARIO_TIMEOUT_S=2", "AUTOSCALE_EXTRA_SCENARIOS=1,-1x40"});
  EXPECT_THAT(output, HasSubstr("the scenario's budget of 2 s ran out"));
  EXPECT_THAT(output, HasSubstr("failed after ["));
  EXPECT_THAT(LeftoverProcesses(), ::testing::IsEmpty());
  for (const auto& dir : NamedTempDirs(output)) EXPECT_FALSE(fs::exists(dir)) << dir << " was left behind";
}

TEST_F(FailureReportTest, ALeaverThatNeverExitsIsReported) {
  // worker1 leaves the cluster as asked, but its process lingers (the
  // contract wants it gone, status 0, within 10 s of processing resuming).
  const fs::path wrapper = temp_dir_.path() / "lingers.sh";
  {
    std::ofstream script(wrapper);
    script << "#!/bin/sh\n"
              "case \" $* \" in *\" --name worker1 \"*)\n"
              "  trap 'exit 0' TERM\n"
              "  '" AUTOSCALE_BUNDLED_WORKER_PATH "' \"$@\"\n"
              "  while :; do sleep 1000 & wait $!; done ;;\n"
              "esac\n"
              "exec '" AUTOSCALE_BUNDLED_WORKER_PATH "' \"$@\"\n";
  }
  fs::permissions(wrapper, fs::perms::owner_all);
  const std::string output = RunFailingSuite(
      {"AUTOSCALE_WORKER_COMMANDS=lingers=" + wrapper.string(), "AUTOSCALE_EXTRA_SCENARIOS=-1x1@2"});
  EXPECT_THAT(output, HasSubstr("leaver worker1 is still running 10 s after processing resumed"));
  EXPECT_THAT(output, HasSubstr("failed after [-1]"));
  EXPECT_THAT(LeftoverProcesses(), ::testing::IsEmpty());
}

TEST_F(FailureReportTest, WorkerKilledMidRunIsReportedAndNothingRemains) {
  // worker1 (an initial worker, never picked to leave) is SIGKILLed a second
  // after it starts, while the scenario grows and shrinks around it.
  const fs::path wrapper = temp_dir_.path() / "dies_mid_run.sh";
  {
    std::ofstream script(wrapper);
    script << "#!/bin/sh\n"
              "case \" $* \" in *\" --name worker1 \"*) (sleep 1; kill -9 $$) & ;; esac\n"
              "exec '" AUTOSCALE_BUNDLED_WORKER_PATH "' \"$@\"\n";
  }
  fs::permissions(wrapper, fs::perms::owner_all);

  const std::string output = RunFailingSuite({"AUTOSCALE_WORKER_COMMANDS=dies=" + wrapper.string(),
                                              "AUTOSCALE_EXTRA_SCENARIOS=1,-1x6@3"});
  EXPECT_THAT(output, HasSubstr("worker1: killed by SIGKILL"));
  EXPECT_THAT(output, HasSubstr("failed after ["));
  EXPECT_THAT(output, HasSubstr("output tails of"));
  EXPECT_THAT(output, HasSubstr("==== worker output"));
  EXPECT_THAT(LeftoverProcesses(), ::testing::IsEmpty());
  const auto dirs = NamedTempDirs(output);
  EXPECT_FALSE(dirs.empty()) << "the diagnostics did not name the scenario's directory";
  for (const auto& dir : dirs) EXPECT_FALSE(fs::exists(dir)) << dir << " was left behind";
}

}  // namespace
}  // namespace autoscale
