// A test process interrupted by SIGINT or SIGTERM leaves no temporary
// directory, no port lock file and no worker behind, and still dies by the
// signal; and what a SIGKILLed one left is swept by the next.
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "fixtures/assertions.h"
#include "harness/ports.h"
#include "harness/runner.h"
#include "harness/runner_checker.h"
#include "harness/temp_dir.h"
#include "test/harness/process_test_support.h"

namespace {

using autoscale::Passed;
using harness_test::await_process_gone;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

struct Leftovers {
  fs::path dir, lock;
  pid_t worker = 0;
};

class InterruptCleanupTest : public ::testing::TestWithParam<int> {
 protected:
  // Starts the probe (a test process holding a TempDir, a port and a worker)
  // and reads back what it holds.
  Leftovers StartProbe(harness::Runner& probe) {
    probe.start();
    harness::RunnerChecker ready(probe, {"^ready$"}, 10s);
    EXPECT_TRUE(Passed(ready.wait()));
    Leftovers held;
    const std::string out = probe.output();
    auto value = [&](const std::string& key) {
      const auto at = out.find(key + " ");
      return out.substr(at + key.size() + 1, out.find('\n', at) - at - key.size() - 1);
    };
    held.dir = value("dir");
    held.lock = registry_.path() / ("port-" + value("port") + ".lock");
    held.worker = std::stoi(value("worker"));
    EXPECT_TRUE(fs::exists(held.dir));
    EXPECT_TRUE(fs::exists(held.lock));
    return held;
  }
  harness::Runner Probe(const std::string& name) {
    return harness::Runner(name, {INTERRUPT_PROBE_PATH, registry_.path().string()}, logs_.path() / (name + ".log"));
  }

  harness::TempDir logs_{"interrupt-test-logs."};
  harness::TempDir registry_{"interrupt-test-registry."};
};

TEST_P(InterruptCleanupTest, InterruptedTestProcessLeavesNothingBehind) {
  const int sig = GetParam();
  harness::Runner probe = Probe("probe");
  const Leftovers held = StartProbe(probe);
  ASSERT_FALSE(HasFailure());

  ::kill(probe.pid(), sig);
  ASSERT_TRUE(probe.wait_for(10s));
  EXPECT_EQ(probe.poll(), -sig) << "the process should still end by the signal; output:\n" << probe.tail(10);
  EXPECT_FALSE(fs::exists(held.dir)) << held.dir << " was left behind";
  EXPECT_FALSE(fs::exists(held.lock)) << held.lock << " was left behind";
  EXPECT_TRUE(Passed(await_process_gone(held.worker, 10s)));
}

INSTANTIATE_TEST_SUITE_P(Signals, InterruptCleanupTest, ::testing::Values(SIGINT, SIGTERM),
                         [](const auto& info) { return info.param == SIGINT ? "SIGINT" : "SIGTERM"; });

TEST_F(InterruptCleanupTest, WhatAKilledProcessLeftIsSweptByTheNext) {
  harness::Runner probe = Probe("killed");
  const Leftovers held = StartProbe(probe);
  ASSERT_FALSE(HasFailure());
  probe.kill();  // SIGKILL: no chance to clean up
  ASSERT_TRUE(probe.wait_for(10s));
  ASSERT_TRUE(fs::exists(held.dir));
  ASSERT_TRUE(fs::exists(held.lock));

  // The next test process to create a directory of that prefix, and the next
  // port allocator on that registry, remove what the dead one left.
  harness::TempDir next("interrupt-probe.");
  harness::PortAllocator allocator("127.0.0.1", registry_.path());
  EXPECT_FALSE(fs::exists(held.dir)) << held.dir << " was not swept";
  EXPECT_FALSE(fs::exists(held.lock)) << held.lock << " was not swept";
}

}  // namespace

namespace {

TEST(TempDirSweepTest, AbandonedDirectoriesGoKeptOnesStay) {
  // A pid that surely belongs to no live process: one that has exited and been reaped.
  harness::TempDir logs("sweep-test-logs.");
  harness::Runner done("done", {"/bin/true"}, logs.path() / "done.log");
  done.start();
  ASSERT_TRUE(done.wait_for(10s));
  const pid_t dead = done.pid();
  ASSERT_EQ(done.poll(), 0);

  const fs::path root = logs.path().parent_path();
  const fs::path abandoned = root / ("sweep-test." + std::to_string(dead) + ".abandoned");
  const fs::path kept = root / ("sweep-test." + std::to_string(dead) + ".kept");
  fs::create_directories(abandoned / "logs");
  fs::create_directories(kept);
  std::ofstream(kept / ".kept") << "kept\n";

  harness::TempDir next("sweep-test.");
  EXPECT_FALSE(fs::exists(abandoned)) << "a dead owner's directory should be swept";
  EXPECT_TRUE(fs::exists(kept)) << "a kept directory must survive the sweep";
  fs::remove_all(kept);
}

}  // namespace
