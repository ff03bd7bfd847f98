#include "worker_cluster_test.h"

#include <regex>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "harness/alphabet.h"
#include "harness/sink_await.h"

namespace alphabet_test {

void WorkerClusterTest::StartCluster(int initial) {
  autoscale::ClusterTest::StartCluster(autoscale::bundled_worker_command(), initial);
}

void WorkerClusterTest::TearDown() {
  if (traffic_) (void)traffic_->stop(10s);  // the test already reported what matters about the traffic
  for (auto& extra : extras_)
    if (extra->alive()) extra->kill();
  autoscale::ClusterTest::TearDown();
}

harness::ClusterView WorkerClusterTest::Observe() { return harness::observe(cluster_->external()); }

::testing::AssertionResult WorkerClusterTest::AwaitView(const std::string& what,
                                                        std::vector<harness::ClusterCheck> checks,
                                                        std::chrono::milliseconds timeout) {
  return Passed(harness::await_cluster(*cluster_, what, std::move(checks), timeout));
}

::testing::AssertionResult WorkerClusterTest::AwaitMembers(const std::vector<std::string>& names,
                                                           std::chrono::milliseconds timeout) {
  const auto& keys = harness::alphabet::partition_keys();
  return AwaitView(fmt::format("a cluster of {}", fmt::join(names, ", ")),
                   {harness::is_processing(), harness::has_worker_count(static_cast<int>(names.size())),
                    harness::has_members(names), harness::all_workers_own_partitions("letter-state"),
                    harness::each_partition_owned_once("letter-state", std::set<std::string>(keys.begin(), keys.end()))},
                   timeout);
}

::testing::AssertionResult WorkerClusterTest::AwaitLines(harness::Runner& runner, std::vector<std::string> patterns,
                                                         std::size_t from, std::chrono::milliseconds timeout) {
  harness::RunnerChecker checker(runner, std::move(patterns), timeout, from);
  return Passed(checker.wait());
}

::testing::AssertionResult WorkerClusterTest::AwaitExit(harness::Runner& runner, int expected_status,
                                                        std::chrono::milliseconds timeout) {
  if (!runner.wait_for(timeout))
    return ::testing::AssertionFailure() << runner.name() << " still running " << timeout.count()
                                         << " ms later; its output ends:\n"
                                         << runner.tail(20);
  const auto status = runner.poll();
  if (status == expected_status) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << runner.name() << " " << runner.describe_status() << ", expected exit status "
                                       << expected_status << "; its output ends:\n"
                                       << runner.tail(20);
}

std::vector<std::string> WorkerClusterTest::Names(const std::vector<harness::Runner*>& runners) const {
  std::vector<std::string> names;
  for (const auto* runner : runners) names.push_back(runner->name());
  return names;
}

harness::Runner& WorkerClusterTest::LaunchExtra(const std::string& name, std::vector<std::string> argv) {
  argv.insert(argv.begin(), ALPHABET_WORKER_PATH);
  extras_.push_back(std::make_unique<harness::Runner>(name, std::move(argv), temp_dir_.path() / "logs" / (name + ".log")));
  extras_.back()->start();
  return *extras_.back();
}

std::uint16_t WorkerClusterTest::SourcePort() const { return PortOf(cluster_->source_address()); }

void WorkerClusterTest::StartTraffic(harness::SenderPace pace) {
  traffic_ = std::make_unique<harness::VoteTraffic>(harness::parse_address(cluster_->source_address()), pace);
  traffic_->start();
}

::testing::AssertionResult WorkerClusterTest::AwaitTraffic(std::size_t more) {
  harness::SinkExpect flowing(sink_, sink_.record_count() + more, 10s);
  return Passed(flowing.wait());
}

::testing::AssertionResult WorkerClusterTest::StopTrafficAndCheckExactlyOnce() {
  if (!traffic_) return ::testing::AssertionFailure() << "no traffic was started";
  if (auto stopped = traffic_->stop(10s); !stopped) return Passed(stopped);
  if (auto arrived = traffic_->await_final_totals(sink_, 30s); !arrived) return Passed(arrived);
  if (const std::string problems = traffic_->check_exactly_once(sink_); !problems.empty())
    return ::testing::AssertionFailure() << problems;
  return ::testing::AssertionSuccess() << traffic_->ledger().total_sent() << " records, each applied exactly once";
}

}  // namespace alphabet_test
