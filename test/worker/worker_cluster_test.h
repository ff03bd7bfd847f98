#pragma once
// The fixture of the alphabet worker's own tests: the suite's ClusterTest
// (directory, ports, sink, metrics, a cluster of real `alphabet` processes,
// an unconditional teardown that fails on any worker that did not end
// cleanly) plus what the worker's tests need beyond a scenario: workers
// outside the cluster, exit statuses, log lines and traffic of their own.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "fixtures/assertions.h"
#include "fixtures/cluster_test.h"
#include "harness/address.h"
#include "harness/cluster_view.h"
#include "harness/runner.h"
#include "harness/runner_checker.h"
#include "harness/vote_traffic.h"

namespace alphabet_test {

using namespace std::chrono_literals;
using autoscale::Passed;

// The port of a "host:port" address.
inline std::uint16_t PortOf(const std::string& address) { return harness::parse_address(address).port; }

// A regular expression matching `text` literally (milestone lines hold '*', '~', '-').
inline std::string Literal(const std::string& text) { return harness::regex_literal(text); }

class WorkerClusterTest : public autoscale::ClusterTest {
 protected:
  void TearDown() override;

  // Starts the sink, the metrics receiver and `initial` alphabet workers.
  void StartCluster(int initial);
  // Waits until the cluster processes messages with exactly these members,
  // every one of them owning a partition, and the 677 keys owned once each.
  [[nodiscard]] ::testing::AssertionResult AwaitMembers(const std::vector<std::string>& names,
                                                        std::chrono::milliseconds timeout = 30s);
  // Waits for `checks` on repeated observations; gives up at once if a worker crashed.
  [[nodiscard]] ::testing::AssertionResult AwaitView(const std::string& what, std::vector<harness::ClusterCheck> checks,
                                                     std::chrono::milliseconds timeout = 30s);
  // Waits until `runner` prints lines matching `patterns` (in order), searching from `from`.
  [[nodiscard]] ::testing::AssertionResult AwaitLines(harness::Runner& runner, std::vector<std::string> patterns,
                                                      std::size_t from = 0, std::chrono::milliseconds timeout = 30s);
  // Waits until `runner` exits; the status, or a failure naming what it last printed.
  [[nodiscard]] ::testing::AssertionResult AwaitExit(harness::Runner& runner, int expected_status,
                                                     std::chrono::milliseconds timeout = 10s);
  harness::ClusterView Observe();
  std::vector<std::string> Names(const std::vector<harness::Runner*>& runners) const;
  // A worker process outside the cluster, e.g. a joiner with a bad name or a
  // worker with a bad command line; its log goes to the test's directory.
  harness::Runner& LaunchExtra(const std::string& name, std::vector<std::string> argv);

  // The port of the cluster's (first) source address.
  std::uint16_t SourcePort() const;

  // Traffic: one vote per record, keys cycling aa..zz, counted by the ledger.
  void StartTraffic(harness::SenderPace pace = {20, std::chrono::milliseconds(10)});
  // Waits until the sink has received `more` records beyond what it holds now.
  [[nodiscard]] ::testing::AssertionResult AwaitTraffic(std::size_t more = 200);
  // Stops the traffic, waits until the sink holds every key's final total,
  // then checks that each key's totals are exactly 1..n, each once.
  [[nodiscard]] ::testing::AssertionResult StopTrafficAndCheckExactlyOnce();

  // Destroyed before the base's cluster: traffic stops, extra workers are killed.
  std::vector<std::unique_ptr<harness::Runner>> extras_;
  std::unique_ptr<harness::VoteTraffic> traffic_;
};

}  // namespace alphabet_test
