// Runner against small shell commands: output capture, exit statuses,
// signals to the whole process group, respawn and clean-up.
#include "harness/runner.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "harness/runner_checker.h"
#include "harness/temp_dir.h"
#include "test/harness/process_test_support.h"
#include "fixtures/assertions.h"

namespace {

using harness::Runner;
using harness_test::await_process_gone;
using autoscale::Passed;
using harness_test::process_gone;
using namespace std::chrono_literals;
using ::testing::HasSubstr;

class RunnerTest : public ::testing::Test {
 protected:
  std::unique_ptr<Runner> shell(const std::string& name, const std::string& script) {
    return std::make_unique<Runner>(name, std::vector<std::string>{"/bin/sh", "-c", script},
                                    dir_.path() / (name + ".log"));
  }
  harness::TempDir dir_{"runner_test."};
};

TEST_F(RunnerTest, CapturesStdoutAndStderrInterleavedInOneLog) {
  auto runner = shell("echo", "echo out1; echo err1 >&2; echo out2; echo err2 >&2");
  runner->start();
  ASSERT_TRUE(runner->wait_for(10s));
  EXPECT_EQ(runner->output(), "out1\nerr1\nout2\nerr2\n");
  EXPECT_EQ(runner->log_path(), dir_.path() / "echo.log");
}

TEST_F(RunnerTest, ReportsExitCodes) {
  auto ok = shell("ok", "exit 0");
  auto three = shell("three", "exit 3");
  ok->start();
  three->start();
  ASSERT_TRUE(ok->wait_for(10s));
  ASSERT_TRUE(three->wait_for(10s));
  EXPECT_EQ(ok->poll(), 0);
  EXPECT_EQ(three->poll(), 3);
  EXPECT_EQ(three->describe_status(), "exited 3");
  EXPECT_FALSE(three->alive());
}

TEST_F(RunnerTest, PollDoesNotBlockWhileRunning) {
  auto runner = shell("sleeper", "exec sleep 1000");
  runner->start();
  auto before = std::chrono::steady_clock::now();
  EXPECT_EQ(runner->poll(), std::nullopt);
  EXPECT_TRUE(runner->alive());
  EXPECT_EQ(runner->describe_status(), "running");
  EXPECT_LT(std::chrono::steady_clock::now() - before, 1s);
  EXPECT_GT(runner->pid(), 0);
}

TEST_F(RunnerTest, KillReportsMinusSigkill) {
  auto runner = shell("sleeper", "exec sleep 1000");
  runner->start();
  runner->kill();
  ASSERT_TRUE(runner->wait_for(10s));
  EXPECT_EQ(runner->poll(), -SIGKILL);
  EXPECT_EQ(runner->describe_status(), "killed by SIGKILL");
}

TEST_F(RunnerTest, StopSendsSigterm) {
  auto runner = shell("sleeper", "exec sleep 1000");
  runner->start();
  runner->stop();
  ASSERT_TRUE(runner->wait_for(10s));
  EXPECT_EQ(runner->poll(), -SIGTERM);
  EXPECT_EQ(runner->describe_status(), "killed by SIGTERM");
}

TEST_F(RunnerTest, ChildIgnoringSigtermSurvivesStopButNotKill) {
  auto runner = shell("stubborn", "trap '' TERM; echo ready; while :; do sleep 1; done");
  runner->start();
  ASSERT_TRUE(Passed(harness::wait_for_ready(*runner, "^ready$", 10s)));
  runner->stop();
  // Bounded negative check: it must still be running after a generous moment.
  EXPECT_FALSE(runner->wait_for(300ms));
  EXPECT_TRUE(runner->alive());
  runner->kill();
  ASSERT_TRUE(runner->wait_for(10s));
  EXPECT_EQ(runner->poll(), -SIGKILL);
}

TEST_F(RunnerTest, KillReachesGrandchildren) {
  auto runner = shell("parent", "sleep 1000 & echo $!; wait");
  runner->start();
  ASSERT_TRUE(Passed(harness::wait_for_ready(*runner, "^[0-9]+$", 10s)));
  const pid_t grandchild = std::stoi(runner->output());
  ASSERT_FALSE(process_gone(grandchild)) << "the grandchild should be running before the kill";
  runner->kill();
  ASSERT_TRUE(runner->wait_for(10s));
  EXPECT_TRUE(Passed(await_process_gone(grandchild, 10s)));
}

TEST_F(RunnerTest, GrandchildLeftBehindByAnExitedLeaderIsKilled) {
  // The leader exits at once; its background child would otherwise outlive the test.
  auto runner = shell("leaver", "sleep 1000 & echo $!");
  runner->start();
  ASSERT_TRUE(runner->wait_for(10s));
  const pid_t grandchild = std::stoi(runner->output());
  EXPECT_EQ(runner->poll(), 0);
  EXPECT_TRUE(Passed(await_process_gone(grandchild, 10s)));
}

TEST_F(RunnerTest, DestructorKillsAndReapsTheWholeGroup) {
  pid_t leader = 0, grandchild = 0;
  {
    auto runner = shell("doomed", "trap '' TERM; sleep 1000 & echo $!; wait");
    runner->start();
    ASSERT_TRUE(Passed(harness::wait_for_ready(*runner, "^[0-9]+$", 10s)));
    leader = runner->pid();
    grandchild = std::stoi(runner->output());
  }
  // Reaped, not a zombie: /proc has no trace of the leader.
  EXPECT_EQ(harness_test::process_state(leader), std::nullopt);
  EXPECT_TRUE(Passed(await_process_gone(grandchild, 10s)));
}

TEST_F(RunnerTest, RespawnRunsTheSameCommandAndAppends) {
  auto runner = shell("twice", "echo run");
  runner->start();
  ASSERT_TRUE(runner->wait_for(10s));
  runner->respawn();
  ASSERT_TRUE(runner->wait_for(10s));
  EXPECT_EQ(runner->output(), "run\nrun\n");
  EXPECT_EQ(runner->poll(), 0);
}

TEST_F(RunnerTest, RespawnOrStartWhileRunningIsRefused) {
  auto runner = shell("busy", "exec sleep 1000");
  runner->start();
  EXPECT_THROW(runner->respawn(), std::logic_error);
  EXPECT_THROW(runner->start(), std::logic_error);
  EXPECT_TRUE(runner->alive());
}

TEST_F(RunnerTest, OutputFromAnOffsetAndTail) {
  auto runner = shell("lines", "printf 'a\\nb\\nc\\nd\\n'");
  runner->start();
  ASSERT_TRUE(runner->wait_for(10s));
  EXPECT_EQ(runner->tell(), 8u);
  EXPECT_EQ(runner->output(4), "c\nd\n");
  EXPECT_EQ(runner->output(100), "");
  EXPECT_EQ(runner->tail(2), "c\nd\n");
  EXPECT_EQ(runner->tail(10), "a\nb\nc\nd\n");
  EXPECT_EQ(runner->tail(0), "");
}

TEST_F(RunnerTest, MissingProgramIsAClearError) {
  Runner on_path("ghost", {"no-such-program-for-runner-test"}, dir_.path() / "ghost.log");
  try {
    on_path.start();
    FAIL() << "start() should have thrown";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("no-such-program-for-runner-test"));
    EXPECT_THAT(e.what(), HasSubstr("ghost"));
  }
  Runner by_path("ghost2", {"/nonexistent/program", "--flag"}, dir_.path() / "ghost2.log");
  try {
    by_path.start();
    FAIL() << "start() should have thrown";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("/nonexistent/program --flag"));
  }
  EXPECT_EQ(by_path.describe_status(), "not started");
}

TEST_F(RunnerTest, ChildDoesNotInheritTheTestsDescriptors) {
  // A descriptor opened without O_CLOEXEC (as Asio does for sockets) must not
  // reach the worker, where it would keep a port bound or a lock held.
  int leaked = ::open("/dev/null", O_RDONLY);
  ASSERT_GE(leaked, 3);
  auto runner = shell("fds", "ls /proc/$$/fd");
  runner->start();
  ASSERT_TRUE(runner->wait_for(10s));
  ::close(leaked);
  std::string listing = "\n" + runner->output();
  EXPECT_THAT(listing, HasSubstr("\n1\n"));
  EXPECT_THAT(listing, ::testing::Not(HasSubstr("\n" + std::to_string(leaked) + "\n")));
}

TEST_F(RunnerTest, WorkerDoesNotOutliveAKilledTestProcess) {
  // As ctest kills a timed-out test: the test process gets SIGKILL and no
  // chance to clean up. Its worker, in a process group of its own, must die too.
  Runner test_process("test-process", {RUNNER_PARENT_PROBE_PATH, (dir_.path() / "worker.log").string()},
                      dir_.path() / "test-process.log");
  test_process.start();
  harness::RunnerChecker started(test_process, {R"(^worker \d+$)"}, 10s);
  ASSERT_TRUE(Passed(started.wait()));
  const pid_t worker = std::stoi(test_process.output().substr(std::string("worker ").size()));
  ASSERT_FALSE(process_gone(worker)) << "the worker should run while its test process does";

  test_process.kill();
  ASSERT_TRUE(test_process.wait_for(10s));
  EXPECT_TRUE(Passed(await_process_gone(worker, 10s))) << "the worker outlived its killed test process";
}

TEST_F(RunnerTest, FormatOutputsNamesEachRunnerWithStatusAndCommand) {
  auto first = shell("first", "echo one; echo two; exit 2");
  auto second = shell("second", "echo three");
  first->start();
  second->start();
  ASSERT_TRUE(first->wait_for(10s));
  ASSERT_TRUE(second->wait_for(10s));
  std::string whole = harness::format_outputs({first.get(), second.get()});
  EXPECT_THAT(whole, HasSubstr("first (exited 2"));
  EXPECT_THAT(whole, HasSubstr("/bin/sh -c 'echo one; echo two; exit 2'"));
  EXPECT_THAT(whole, HasSubstr("one\ntwo\n"));
  EXPECT_THAT(whole, HasSubstr("second (exited 0"));
  std::string tails = harness::format_outputs({first.get()}, 1);
  EXPECT_THAT(tails, HasSubstr("last 1 lines"));
  EXPECT_THAT(tails, HasSubstr("two\n"));
  EXPECT_THAT(tails, ::testing::Not(HasSubstr("one\n")));
}

}  // namespace
