// Growing and shrinking a cluster of alphabet workers while records flow:
// membership, where partitions go, the milestone lines, and exactly-once totals;
// and a migration stuck on an unresponsive worker names it.
#include <algorithm>
#include <csignal>
#include <regex>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "worker_cluster_test.h"

namespace alphabet_test {
namespace {

class AutoscaleTest : public WorkerClusterTest {
 protected:
  // Grows by `count` at once and waits until the joiners own partitions taken from others.
  ::testing::AssertionResult Grow(int count, std::vector<harness::Runner*>& joiners) {
    const harness::PartitionMap before = Observe().partitions;
    joiners = cluster().grow(count);
    const auto names = Names(joiners);
    return AwaitView(fmt::format("grow by {} ({})", count, fmt::join(names, ", ")),
                     {harness::is_processing(), harness::has_members(cluster().member_names()),
                      harness::all_workers_own_partitions("letter-state"),
                      harness::joiners_took_partitions_from_others("letter-state", before, names)});
  }
  // Waits until the leavers are gone, own nothing, and have exited 0.
  ::testing::AssertionResult AwaitShrunk(const std::vector<std::string>& leavers) {
    auto gone = AwaitView(fmt::format("shrink of {}", fmt::join(leavers, ", ")),
                          {harness::is_processing(), harness::has_members(cluster().member_names()),
                           harness::all_workers_own_partitions("letter-state"), harness::leavers_are_gone(leavers)});
    if (!gone) return gone;
    for (harness::Runner* runner : cluster().runners())
      if (std::find(leavers.begin(), leavers.end(), runner->name()) != leavers.end())
        if (auto exited = AwaitExit(*runner, 0, 10s); !exited) return exited;
    return ::testing::AssertionSuccess();
  }
  static std::size_t CountMatches(const std::string& output, const std::string& pattern) {
    const std::regex re(pattern);
    return static_cast<std::size_t>(std::distance(std::sregex_iterator(output.begin(), output.end(), re), std::sregex_iterator()));
  }
};

TEST_F(AutoscaleTest, GrowByOneUnderTraffic) {
  StartCluster(2);
  ASSERT_TRUE(AwaitMembers(cluster().member_names()));
  StartTraffic();
  ASSERT_TRUE(AwaitTraffic());
  const std::size_t from = cluster().initializer().tell();
  std::vector<harness::Runner*> joiners;
  ASSERT_TRUE(Grow(1, joiners));
  const std::string joiner = joiners.front()->name();
  EXPECT_TRUE(AwaitLines(cluster().initializer(),
                         {Literal(fmt::format("***Worker {} attempting to join the cluster. Sent necessary information.***", joiner)),
                          Literal(fmt::format("Migrating partitions to {}", joiner)),
                          Literal("--All new workers have acked migration batch complete"),
                          Literal("~~~Resuming message processing.~~~")},
                         from));
  EXPECT_TRUE(AwaitLines(*joiners.front(), {Literal("***Successfully joined cluster!***"),
                                            Literal("~~~Resuming message processing.~~~")}));
  EXPECT_TRUE(StopTrafficAndCheckExactlyOnce());
}

TEST_F(AutoscaleTest, GrowByThreeAtOnceIsOneMigration) {
  StartCluster(2);
  ASSERT_TRUE(AwaitMembers(cluster().member_names()));
  StartTraffic();
  ASSERT_TRUE(AwaitTraffic());
  std::vector<harness::Runner*> joiners;
  ASSERT_TRUE(Grow(3, joiners));
  for (harness::Runner* joiner : joiners) {
    SCOPED_TRACE(joiner->name());
    // The initializer names the joiners in its own order, each before the batch completes.
    EXPECT_TRUE(AwaitLines(cluster().initializer(),
                           {Literal(fmt::format("Migrating partitions to {}", joiner->name())),
                            Literal("--All new workers have acked migration batch complete")}));
    EXPECT_TRUE(AwaitLines(*joiner, {Literal("***Successfully joined cluster!***")}));
  }
  EXPECT_EQ(CountMatches(cluster().initializer().output(), "Migration [0-9]+: hold"), 1u)
      << "three joiners of one step must move partitions once:\n" << cluster().initializer().tail(40);
  EXPECT_TRUE(StopTrafficAndCheckExactlyOnce());
}

TEST_F(AutoscaleTest, ShrinkByNameUnderTraffic) {
  StartCluster(4);
  ASSERT_TRUE(AwaitMembers(cluster().member_names()));
  StartTraffic();
  ASSERT_TRUE(AwaitTraffic());
  harness::Runner* leaver = cluster().runners().at(1);  // not the most recent: names decide
  const std::size_t from = cluster().initializer().tell();
  const harness::ShrinkReply reply = cluster().shrink({leaver});
  ASSERT_EQ(reply.text, "Shrinking by 1 workers!");
  ASSERT_TRUE(AwaitShrunk({leaver->name()}));
  EXPECT_TRUE(AwaitLines(cluster().initializer(),
                         {Literal("~~~Initiating shrink~~~"), Literal("-- Remaining workers:"),
                          Literal("~~~Stopping message processing for leaving workers.~~~"),
                          Literal("~~~Resuming message processing.~~~")},
                         from));
  // One line per remaining worker, in the cluster's own order.
  for (const auto& name : cluster().member_names())
    EXPECT_TRUE(AwaitLines(cluster().initializer(), {Literal("-- Remaining workers:"), "^" + Literal("-- -- " + name) + "$"}, from));
  EXPECT_EQ(cluster().initializer().output(from).find("-- -- " + leaver->name()), std::string::npos)
      << "the leaver is not a remaining worker";
  EXPECT_TRUE(AwaitLines(*leaver, {Literal("~~~Stopping message processing for leaving workers.~~~"),
                                   Literal("Migrating all partitions to 3 remaining workers")}));
  for (harness::Runner* runner : cluster().runners()) {
    if (runner == leaver || runner == &cluster().initializer()) continue;
    SCOPED_TRACE(runner->name());
    EXPECT_TRUE(AwaitLines(*runner, {Literal("~~~Stopping message processing for leaving workers.~~~"),
                                     Literal("~~~Resuming message processing.~~~")}));
  }
  EXPECT_TRUE(StopTrafficAndCheckExactlyOnce());
}

TEST_F(AutoscaleTest, ShrinkByCountTakesTheMostRecentlyJoined) {
  StartCluster(2);
  ASSERT_TRUE(AwaitMembers(cluster().member_names()));
  StartTraffic();
  ASSERT_TRUE(AwaitTraffic());
  std::vector<harness::Runner*> joiners;
  ASSERT_TRUE(Grow(2, joiners));
  const harness::ShrinkReply reply = cluster().external().shrink_by_count(2);
  ASSERT_EQ(reply.text, "Shrinking by 2 workers!");
  cluster().expect_exit(joiners);
  ASSERT_TRUE(AwaitShrunk(Names(joiners))) << "the two joiners are the most recent workers";
  EXPECT_TRUE(StopTrafficAndCheckExactlyOnce());
}

TEST_F(AutoscaleTest, TotalsStayExactlyOnceThroughGrowsAndShrinks) {
  StartCluster(2);
  ASSERT_TRUE(AwaitMembers(cluster().member_names()));
  StartTraffic();
  ASSERT_TRUE(AwaitTraffic());
  std::vector<harness::Runner*> joiners;
  ASSERT_TRUE(Grow(1, joiners));
  ASSERT_TRUE(AwaitTraffic());
  ASSERT_TRUE(Grow(3, joiners));
  ASSERT_TRUE(AwaitTraffic());
  auto leavers = cluster().pick_leavers(2);
  ASSERT_EQ(cluster().shrink(leavers).text, "Shrinking by 2 workers!");
  ASSERT_TRUE(AwaitShrunk(Names(leavers)));
  ASSERT_TRUE(AwaitTraffic());
  ASSERT_TRUE(Grow(2, joiners));
  ASSERT_TRUE(AwaitTraffic());
  leavers = cluster().pick_leavers(4);
  ASSERT_EQ(cluster().shrink(leavers).text, "Shrinking by 4 workers!");
  ASSERT_TRUE(AwaitShrunk(Names(leavers)));
  ASSERT_TRUE(AwaitTraffic());
  EXPECT_TRUE(StopTrafficAndCheckExactlyOnce());
}

// SIGSTOPs a worker; SIGCONTs it when resumed or destroyed, so that a failed
// test still leaves a worker that the teardown's SIGTERM can stop.
class StoppedWorker {
 public:
  explicit StoppedWorker(harness::Runner& runner) : runner_(runner) { stopped_ = ::kill(runner_.pid(), SIGSTOP) == 0; }
  ~StoppedWorker() { Resume(); }
  bool stopped() const { return stopped_; }
  void Resume() {
    if (stopped_) ::kill(runner_.pid(), SIGCONT);
    stopped_ = false;
  }

 private:
  harness::Runner& runner_;
  bool stopped_ = false;
};

TEST_F(AutoscaleTest, AMigrationWaitingOnAStuckWorkerNamesItUntilItAnswers) {
  StartCluster(3);
  ASSERT_TRUE(AwaitMembers(cluster().member_names()));
  harness::Runner& initializer = cluster().initializer();
  harness::Runner* leaver = cluster().runners().at(1);
  harness::Runner* stuck = cluster().runners().at(2);
  StoppedWorker stopped(*stuck);
  ASSERT_TRUE(stopped.stopped()) << "SIGSTOP to " << stuck->name();
  const std::size_t from = initializer.tell();
  ASSERT_EQ(cluster().shrink({leaver}).text, "Shrinking by 1 workers!");
  // Said after about a second, then again every few seconds, naming only the silent worker.
  const std::string waiting = fmt::format("^Migration [0-9]+: drain: still waiting for {}$", stuck->name());
  ASSERT_TRUE(AwaitLines(initializer, {waiting, waiting}, from, 15s));
  stopped.Resume();
  EXPECT_TRUE(AwaitShrunk({leaver->name()})) << "the migration goes on once the worker answers";
}

}  // namespace
}  // namespace alphabet_test
