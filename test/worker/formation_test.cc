// Forming a cluster: membership, an even partition spread, the milestone
// line, the status before formation, the source ids, and metrics.
#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "harness/alphabet.h"
#include "harness/metrics_data.h"
#include "harness/reader.h"
#include "harness/sender.h"
#include "harness/sink_await.h"
#include "worker_cluster_test.h"

namespace alphabet_test {
namespace {

class FormationTest : public WorkerClusterTest, public ::testing::WithParamInterface<int> {};

TEST_P(FormationTest, EveryWorkerJoinsAndPartitionsAreSpreadEvenly) {
  const int size = GetParam();
  StartCluster(size);
  ASSERT_TRUE(AwaitMembers(cluster().member_names()));
  EXPECT_TRUE(AwaitLines(cluster().initializer(), {Literal("Application has successfully initialized")}));

  const harness::PartitionCounts counts = cluster().external().partition_counts();
  const auto& per_worker = counts.state_partitions.at("letter-state");
  ASSERT_EQ(per_worker.size(), static_cast<std::size_t>(size)) << counts.raw;
  std::int64_t smallest = 677, largest = 0, sum = 0;
  for (const auto& [worker, count] : per_worker) {
    smallest = std::min(smallest, count);
    largest = std::max(largest, count);
    sum += count;
  }
  EXPECT_EQ(sum, 677) << counts.raw;
  EXPECT_LE(largest - smallest, 1) << "shares differ by more than one: " << counts.raw;

  // The shrink query lists every worker but the initializer.
  const harness::ShrinkQueryResult query = cluster().external().shrink_query();
  auto expected = cluster().member_names();
  expected.erase(expected.begin());
  EXPECT_EQ(std::set<std::string>(query.node_names.begin(), query.node_names.end()),
            std::set<std::string>(expected.begin(), expected.end()))
      << query.raw;
  EXPECT_EQ(query.node_count, size - 1) << query.raw;
}

INSTANTIATE_TEST_SUITE_P(Sizes, FormationTest, ::testing::Values(1, 3, 10),
                         [](const auto& info) { return fmt::format("{}_workers", info.param); });

class FormationDetailsTest : public WorkerClusterTest {};

TEST_F(FormationDetailsTest, StatusIsNotInitializedUntilEveryWorkerHasArrived) {
  // An initializer waiting for a second worker that is never started.
  const auto ports = ports_.allocate(4);
  sink_.start();
  metrics_.start();
  harness::Runner& initializer = LaunchExtra(
      "initializer", {"--in", ports_.address(ports[0]), "--out", sink_.address(), "--metrics", metrics_.address(),
                      "--name", "initializer", "--cluster-initializer", "--worker-count", "2", "--control",
                      ports_.address(ports[1]), "--data", ports_.address(ports[2]), "--external",
                      ports_.address(ports[3])});
  ASSERT_TRUE(AwaitLines(initializer, {"Waiting for 1 more worker"}));
  harness::ExternalClient client(ports_.host(), ports[3]);
  const harness::ClusterStatus status = client.cluster_status();
  EXPECT_FALSE(status.initialized) << "answer before formation: " << status.raw;
  EXPECT_FALSE(status.processing_messages);
  initializer.stop();
  EXPECT_TRUE(AwaitExit(initializer, 0, 5s));
}

TEST_F(FormationDetailsTest, RepeatedEngineRuntimeFlagsAreAcceptedAndIgnored) {
  // A user's worker command may carry its own runtime flags; the suite appends
  // --ponythreads=1 --ponypinasio --ponynoblock after them, so each comes twice.
  autoscale::WorkerCommand command = autoscale::bundled_worker_command();
  for (const char* flag : {"--ponythreads=4", "--ponypinasio", "--ponynoblock"}) command.argv.push_back(flag);
  autoscale::ClusterTest::StartCluster(command, 2);
  EXPECT_TRUE(AwaitMembers(cluster().member_names(), 10s)) << cluster().outputs(5);
}

TEST_F(FormationDetailsTest, SourceIdsNameTheSourceListeners) {
  StartCluster(1);
  ASSERT_TRUE(AwaitMembers({"initializer"}));
  EXPECT_EQ(cluster().external().source_ids(), std::vector<std::string>{cluster().source_address()});
}

TEST_F(FormationDetailsTest, MetricsCountEveryAppliedRecord) {
  StartCluster(3);
  ASSERT_TRUE(AwaitMembers(cluster().member_names()));
  constexpr std::uint64_t kRecords = 2000;
  harness::Reader reader(harness::items_source(
      harness::alphabet::letter_keys(), [](const std::string& key) { return harness::alphabet::encode_vote(key, 1); },
      /*cycle=*/true, kRecords));
  harness::Sender sender(ports_.host(), SourcePort(), reader, harness::SenderPace{100, 0ms});
  sender.start();
  ASSERT_TRUE(Passed(sender.join(20s)));

  // Per worker: a connect frame, a join frame, and reports summing (together) to every record.
  std::map<std::string, std::uint64_t> counted;
  std::string last_problem;
  const bool all_counted = metrics_.wait_until(
      [&](const std::vector<harness::ReceivedRecord>& records) {
        counted.clear();
        std::size_t connects = 0, joins = 0;
        for (const auto& record : records) {
          try {
            const auto frame = harness::parse_metrics_frame(record.payload);
            if (frame.type == harness::MetricsFrame::Type::kConnect) ++connects;
            if (frame.type == harness::MetricsFrame::Type::kJoin) ++joins;
            if (frame.type == harness::MetricsFrame::Type::kMetrics) counted[frame.report.worker] += frame.report.count();
          } catch (const harness::MetricsParseError& e) {
            last_problem = e.what();
            return false;
          }
        }
        std::uint64_t total = 0;
        for (const auto& [worker, n] : counted) total += n;
        last_problem = fmt::format("{} connect and {} join frames, {} records counted of {}: {}", connects, joins,
                                   total, kRecords, counted);
        return connects == 3 && joins == 3 && total == kRecords;
      },
      std::chrono::steady_clock::now() + 15s);
  EXPECT_TRUE(all_counted) << "awaited metrics counting all " << kRecords << " records; last seen: " << last_problem;
  EXPECT_EQ(counted.size(), 3u) << "every worker owns keys, so every worker reports records: "
                                << fmt::format("{}", counted);
}

}  // namespace
}  // namespace alphabet_test
