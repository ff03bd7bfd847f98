// Every answer of the shrink request (worker-contract.md section 3), and that
// a refused shrink changes nothing.
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "harness/external_client.h"
#include "worker_cluster_test.h"

namespace alphabet_test {
namespace {

class ShrinkAnswersTest : public WorkerClusterTest {
 protected:
  void SetUp() override {
    StartCluster(3);
    ASSERT_TRUE(AwaitMembers(cluster().member_names()));
  }
  // A refusal leaves the membership as it was, everyone processing.
  ::testing::AssertionResult Unchanged() { return AwaitMembers(cluster().member_names(), 5s); }
};

TEST_F(ShrinkAnswersTest, QueryListsEveryWorkerButTheInitializer) {
  const auto result = cluster().external().shrink_query();
  EXPECT_EQ(std::set<std::string>(result.node_names.begin(), result.node_names.end()),
            (std::set<std::string>{"worker1", "worker2"}))
      << result.raw;
  EXPECT_EQ(result.node_count, 2);
}

TEST_F(ShrinkAnswersTest, TheInitializerIsAnInvalidTarget) {
  EXPECT_EQ(cluster().external().shrink_by_names({"initializer"}).text, "Invalid shrink targets!");
  EXPECT_TRUE(Unchanged());
}

TEST_F(ShrinkAnswersTest, AnUnknownNameIsAnInvalidTarget) {
  EXPECT_EQ(cluster().external().shrink_by_names({"worker1", "nobody"}).text, "Invalid shrink targets!");
  EXPECT_TRUE(Unchanged());
}

TEST_F(ShrinkAnswersTest, ADuplicateNameIsAnInvalidTarget) {
  EXPECT_EQ(cluster().external().shrink_by_names({"worker1", "worker1"}).text, "Invalid shrink targets!");
  EXPECT_TRUE(Unchanged());
}

TEST_F(ShrinkAnswersTest, ZeroWorkersCannotBeShrunk) {
  EXPECT_EQ(cluster().external().shrink_by_count(0).text, "Cannot shrink 0 workers!");
  EXPECT_EQ(cluster().external().shrink_by_names({}).text, "Cannot shrink 0 workers!");
  EXPECT_TRUE(Unchanged());
}

TEST_F(ShrinkAnswersTest, ACountLargerThanTheClusterShrinksToTheInitializer) {
  const auto leavers = cluster().pick_leavers(2);
  EXPECT_EQ(cluster().external().shrink_by_count(5).text, "Shrinking by 2 workers!");
  cluster().expect_exit(leavers);
  EXPECT_TRUE(AwaitMembers({"initializer"}));
  for (harness::Runner* leaver : leavers) EXPECT_TRUE(AwaitExit(*leaver, 0));
  // Nobody is left to leave.
  EXPECT_EQ(cluster().external().shrink_by_count(1).text, "Cannot shrink 0 workers!");
}

TEST_F(ShrinkAnswersTest, AShrinkWhileJoinersGatherIsRefused) {
  // One of a two-joiner step: the grow event is under way until the second comes.
  const std::size_t from = cluster().initializer().tell();
  const auto ports = ports_.allocate(2);
  harness::Runner& half_step = LaunchExtra(
      "worker9", {"--in", cluster().source_address(), "--out", sink_.address(), "--metrics", metrics_.address(),
                  "--name", "worker9", "--my-control", ports_.address(ports[0]), "--my-data",
                  ports_.address(ports[1]), "--join", cluster().control_address(), "--worker-count", "2"});
  ASSERT_TRUE(AwaitLines(cluster().initializer(), {Literal("***Worker worker9 attempting to join the cluster.")}, from));
  EXPECT_EQ(cluster().external().shrink_by_count(1).text,
            "Autoscale event currently underway, cannot shrink at this time");
  EXPECT_EQ(cluster().external().shrink_by_names({"worker1"}).text,
            "Autoscale event currently underway, cannot shrink at this time");
  // The half step never completes; the refused shrinks changed nothing.
  const harness::ClusterStatus status = cluster().external().cluster_status();
  const auto members = cluster().member_names();
  EXPECT_EQ(std::set<std::string>(status.worker_names.begin(), status.worker_names.end()),
            std::set<std::string>(members.begin(), members.end()))
      << status.raw;
  half_step.stop();
  EXPECT_TRUE(AwaitExit(half_step, 0, 5s));
}

}  // namespace
}  // namespace alphabet_test
