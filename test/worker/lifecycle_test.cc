// How workers end: SIGTERM, CleanShutdown, a leaver-free stop after the
// initializer went first, and a joiner refused for a duplicate name. Also the
// commands that get no answer (Print, RotateLog). A worker that dies (SIGTERM
// or SIGKILL by hand) leaves the membership, also in the middle of a migration.
#include <csignal>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "harness/sink_await.h"
#include "worker_cluster_test.h"

namespace alphabet_test {
namespace {

class LifecycleTest : public WorkerClusterTest {
 protected:
  void SetUp() override {
    StartCluster(3);
    ASSERT_TRUE(AwaitMembers(cluster().member_names()));
  }
  // A joiner outside the harness's cluster: killing it is not a crash of the cluster's.
  harness::Runner& LaunchJoiner(const std::string& name) {
    const auto ports = ports_.allocate(2);
    return LaunchExtra(name, {"--in", cluster().source_address(), "--out", sink_.address(), "--metrics",
                              metrics_.address(), "--name", name, "--my-control", ports_.address(ports[0]),
                              "--my-data", ports_.address(ports[1]), "--join", cluster().control_address(),
                              "--worker-count", "1"});
  }
  harness::Runner& Worker(const std::string& name) {
    for (harness::Runner* runner : cluster().runners())
      if (runner->name() == name) return *runner;
    throw std::invalid_argument("no runner named " + name);
  }
};

TEST_F(LifecycleTest, SigtermStopsEveryWorkerWithStatusZeroWithinFiveSeconds) {
  StartTraffic();
  ASSERT_TRUE(Passed(harness::SinkExpect(sink_, 100, 10s).wait()));
  const harness::StopReport report = cluster().stop(5s);
  EXPECT_TRUE(report.clean()) << fmt::format("exited non-zero: {}; killed: {}\n{}", fmt::join(report.exited_nonzero, "; "),
                                             fmt::join(report.killed, "; "), report.details);
  for (harness::Runner* runner : cluster().runners()) EXPECT_EQ(runner->poll(), 0) << runner->name();
}

TEST_F(LifecycleTest, CleanShutdownStopsEveryWorkerWithStatusZero) {
  cluster().expect_exit(cluster().runners());
  cluster().external().clean_shutdown("the test is over");
  for (harness::Runner* runner : cluster().runners()) {
    SCOPED_TRACE(runner->name());
    EXPECT_TRUE(AwaitExit(*runner, 0, 10s));
  }
  EXPECT_TRUE(AwaitLines(cluster().initializer(), {Literal("Clean shutdown requested: the test is over")}));
}

TEST_F(LifecycleTest, PrintAndRotateLogGetNoAnswerAndTheConnectionStays) {
  const std::size_t from = cluster().initializer().tell();
  harness::ExternalClient& client = cluster().external();
  client.print("a line printed on request");
  client.rotate_log("initializer");
  // The next answer on this connection is the status, so the commands got none.
  EXPECT_TRUE(client.cluster_status().processing_messages);
  EXPECT_TRUE(AwaitLines(cluster().initializer(), {"^a line printed on request$", "Log rotation requested"}, from));
}

TEST_F(LifecycleTest, WorkersOutliveTheInitializerAndStillStopCleanly) {
  harness::Runner& initializer = cluster().initializer();
  cluster().expect_exit({&initializer});
  initializer.stop();
  ASSERT_TRUE(AwaitExit(initializer, 0, 5s));
  for (harness::Runner* runner : cluster().runners()) {
    if (runner == &initializer) continue;
    SCOPED_TRACE(runner->name());
    EXPECT_TRUE(AwaitLines(*runner, {"lost the connection to the initializer"}));
    EXPECT_TRUE(runner->alive()) << "a worker must not exit because the initializer went first";
  }
  // TearDown's SIGTERM must find them and see status 0.
}

TEST_F(LifecycleTest, AJoinerWithADuplicateNameExitsNonZeroNamingIt) {
  const std::size_t from = cluster().initializer().tell();
  const auto ports = ports_.allocate(2);
  harness::Runner& duplicate = LaunchExtra(
      "duplicate-worker1",
      {"--in", cluster().source_address(), "--out", sink_.address(), "--metrics", metrics_.address(), "--name",
       "worker1", "--my-control", ports_.address(ports[0]), "--my-data", ports_.address(ports[1]), "--join",
       cluster().control_address(), "--worker-count", "1"});
  ASSERT_TRUE(duplicate.wait_for(10s)) << "the refused joiner did not exit:\n" << duplicate.tail(20);
  EXPECT_NE(duplicate.poll(), 0) << duplicate.output();
  EXPECT_TRUE(AwaitLines(duplicate, {"ERROR: .*duplicate worker name 'worker1'"}));
  EXPECT_TRUE(AwaitLines(cluster().initializer(), {"refused worker 'worker1'"}, from));
  EXPECT_TRUE(AwaitMembers(cluster().member_names(), 5s)) << "the cluster is unchanged";
}

TEST_F(LifecycleTest, AWorkerThatDiesLeavesTheStatusAndThePartitionQuery) {
  harness::Runner& initializer = cluster().initializer();
  harness::Runner& worker2 = Worker("worker2");
  const std::size_t from = initializer.tell();
  cluster().expect_exit({&worker2});
  worker2.stop();  // by hand, not a shrink
  ASSERT_TRUE(AwaitExit(worker2, 0, 5s));
  ASSERT_TRUE(AwaitLines(initializer, {"lost worker worker2"}, from));
  // Only the live workers are listed; worker2's keys are unowned until the next event.
  EXPECT_TRUE(AwaitView("worker2 gone from the status and the partition query after it was lost",
                        {harness::has_worker_count(2), harness::has_members({"initializer", "worker1"}),
                         harness::leavers_are_gone({"worker2"})},
                        10s));

  // A later grow places the lost keys again, and a shrink after it still works.
  const auto joiners = cluster().grow(1);
  ASSERT_TRUE(AwaitMembers({"initializer", "worker1", joiners.front()->name()}));
  harness::Runner& worker1 = Worker("worker1");
  ASSERT_TRUE(cluster().shrink({&worker1}).accepted());
  EXPECT_TRUE(AwaitMembers({"initializer", joiners.front()->name()}));
  EXPECT_TRUE(AwaitExit(worker1, 0));
}

TEST_F(LifecycleTest, AShrinkWaitingOnAWorkerThatIsKilledCompletesWithoutIt) {
  harness::Runner& initializer = cluster().initializer();
  harness::Runner& doomed = LaunchJoiner("doomed");
  ASSERT_TRUE(AwaitMembers({"initializer", "worker1", "worker2", "doomed"}));
  // Stopped, it cannot answer the drain marker: the shrink waits on it.
  ASSERT_EQ(::kill(doomed.pid(), SIGSTOP), 0);
  const std::size_t from = initializer.tell();
  harness::Runner& worker1 = Worker("worker1");
  ASSERT_TRUE(cluster().shrink({&worker1}).accepted());
  ASSERT_TRUE(AwaitLines(initializer, {"Migration [0-9]+: drain: marker sent to 3 worker"}, from));
  doomed.kill();
  ASSERT_TRUE(doomed.wait_for(5s));
  EXPECT_TRUE(AwaitLines(initializer, {"lost worker doomed", Literal("~~~Resuming message processing.~~~")}, from));
  EXPECT_TRUE(AwaitMembers({"initializer", "worker2"})) << "the shrink completes and the lost worker is not a member";
  EXPECT_TRUE(AwaitExit(worker1, 0));
}

}  // namespace
}  // namespace alphabet_test
