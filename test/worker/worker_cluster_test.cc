#include "worker_cluster_test.h"

#include <regex>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "harness/alphabet.h"
#include "harness/observability.h"
#include "harness/sink_await.h"

namespace alphabet_test {

std::string Literal(const std::string& text) {
  static const std::regex special(R"([.^$|()\[\]{}*+?\\])");
  return std::regex_replace(text, special, R"(\$&)");
}

WorkerClusterTest::WorkerClusterTest() = default;
WorkerClusterTest::~WorkerClusterTest() = default;

void WorkerClusterTest::StartCluster(int initial) {
  sink_.start();
  metrics_.start();
  harness::ClusterOptions options;
  options.command = {ALPHABET_WORKER_PATH};
  options.host = ports_.host();
  options.initial_workers = initial;
  options.sink_address = sink_.address();
  options.metrics_address = metrics_.address();
  options.work_dir = temp_dir_.path();
  cluster_ = std::make_unique<harness::Cluster>(std::move(options), ports_);
  cluster_->start();
}

void WorkerClusterTest::TearDown() {
  if (sender_) {
    sender_->stop();
    (void)sender_->join(10s);  // the test already reported what matters about the traffic
  }
  for (auto& extra : extras_)
    if (extra->alive()) extra->kill();
  if (!cluster_) return;
  if (HasFailure()) ADD_FAILURE() << "worker outputs:\n" << cluster_->outputs(40);
  const harness::StopReport report = cluster_->stop(10s);
  EXPECT_TRUE(report.clean()) << "workers did not stop cleanly on SIGTERM:\n"
                              << fmt::format("exited non-zero: {}\nkilled: {}\n{}", fmt::join(report.exited_nonzero, "; "),
                                             fmt::join(report.killed, "; "), report.details);
}

harness::ClusterView WorkerClusterTest::Observe() { return harness::observe(cluster_->external()); }

::testing::AssertionResult WorkerClusterTest::AwaitView(const std::string& what,
                                                        std::vector<harness::ClusterCheck> checks,
                                                        std::chrono::milliseconds timeout) {
  harness::ObservabilityNotifier<harness::ClusterView> notifier(
      what, [this] { return Observe(); }, std::move(checks), timeout,
      [](const harness::ClusterView& view) { return harness::describe(view); }, 25ms, [this] {
        const auto crashed = cluster_->crashed();
        return crashed.empty() ? std::string() : fmt::format("worker crashed: {}", fmt::join(crashed, "; "));
      });
  return Passed(notifier.wait());
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

std::uint16_t PortOf(const std::string& address) {
  return static_cast<std::uint16_t>(std::stoi(address.substr(address.rfind(':') + 1)));
}

std::uint16_t WorkerClusterTest::SourcePort() const { return PortOf(cluster_->source_address()); }

void WorkerClusterTest::StartTraffic(harness::SenderPace pace) {
  reader_ = std::make_unique<harness::Reader>(ledger_.make_reader());
  sender_ = std::make_unique<harness::Sender>(ports_.host(), SourcePort(), *reader_, pace);
  sender_->start();
}

::testing::AssertionResult WorkerClusterTest::AwaitTraffic(std::size_t more) {
  harness::SinkExpect flowing(sink_, sink_.record_count() + more, 10s);
  return Passed(flowing.wait());
}

::testing::AssertionResult WorkerClusterTest::StopTrafficAndCheckExactlyOnce() {
  if (!sender_) return ::testing::AssertionFailure() << "no traffic was started";
  sender_->stop();
  if (auto joined = sender_->join(10s); !joined) return Passed(joined);
  if (ledger_.total_sent() == 0) return ::testing::AssertionFailure() << "the sender sent no record at all";
  harness::SinkAwaitValue all_totals(sink_, ledger_.final_total_frames(), 30s, harness::alphabet::describe_total);
  if (auto arrived = all_totals.wait(); !arrived) return Passed(arrived);
  const std::string problems = ledger_.check_exactly_once(sink_.snapshot());
  if (!problems.empty()) return ::testing::AssertionFailure() << problems;
  return ::testing::AssertionSuccess() << ledger_.total_sent() << " records, each applied exactly once";
}

}  // namespace alphabet_test
