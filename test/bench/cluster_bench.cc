// Figures for the suite's speed and memory targets, printed, not asserted
// (timed assertions make flaky tests): how fast the harness moves records,
// how much memory a reference worker takes in a 50-worker cluster, how long
// a migration holds processing, and what a small cluster carries per second.
//
//   cluster_bench [worker program]   (default: the bundled alphabet worker)
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <numeric>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "harness/address.h"
#include "harness/alphabet.h"
#include "harness/cluster.h"
#include "harness/cluster_view.h"
#include "harness/ports.h"
#include "harness/reader.h"
#include "harness/sender.h"
#include "harness/sink_await.h"
#include "harness/tcp_receiver.h"
#include "harness/temp_dir.h"
#include "harness/vote_ledger.h"
#include "harness/vote_traffic.h"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Resident memory of a process in KiB, from /proc (0 if it is gone).
long rss_kib(pid_t pid) {
  std::ifstream status(fmt::format("/proc/{}/status", pid));
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  return 0;
}

void fail(const std::string& what) {
  std::cerr << "cluster_bench: " << what << "\n";
  std::exit(1);
}

// A cluster with its sink, metrics and directory, for one figure.
struct Bench {
  explicit Bench(const std::string& worker, int workers) {
    sink.start();
    metrics.start();
    harness::ClusterOptions options;
    options.command = {worker};
    options.initial_workers = workers;
    options.sink_address = sink.address();
    options.metrics_address = metrics.address();
    options.work_dir = dir.path();
    cluster = std::make_unique<harness::Cluster>(options, ports);
  }
  ~Bench() {
    if (cluster) cluster->stop();
  }

  void await(const std::string& what, std::vector<harness::ClusterCheck> checks) {
    if (auto r = harness::await_cluster(*cluster, what, std::move(checks), 120s, 10ms); !r)
      fail(r.message() + "\n" + cluster->outputs(10));
  }

  void await_formed(int workers) {
    await(fmt::format("{} workers formed", workers),
          {harness::is_processing(), harness::has_worker_count(workers),
           harness::all_workers_own_partitions(std::string(harness::alphabet::kStateStep))});
  }

  harness::TempDir dir{"cluster-bench."};
  harness::PortAllocator ports;
  harness::Sink sink;
  harness::Metrics metrics;
  std::unique_ptr<harness::Cluster> cluster;
};

void harness_throughput() {
  constexpr std::uint64_t kRecords = 1'000'000;
  harness::Sink sink;
  sink.start();
  harness::Reader reader(harness::u64_sequence_source(0, kRecords));
  harness::Sender sender(sink.host(), sink.port(), reader, {1000, 0ms});
  const auto start = Clock::now();
  sender.start();
  if (auto r = harness::SinkExpect(sink, kRecords, 120s).wait(); !r) fail(r.message());
  const double s = seconds_since(start);
  if (auto r = sender.join(10s); !r) fail(r.message());
  std::cout << fmt::format("harness  Sender -> Sink, {} records of 8 bytes: {:.2f} s, {:.0f} records/s\n", kRecords,
                           s, kRecords / s);
}

void formation_and_memory(const std::string& worker) {
  constexpr int kWorkers = 50;
  Bench bench(worker, kWorkers);
  const auto start = Clock::now();
  bench.cluster->start();
  bench.await_formed(kWorkers);
  const double s = seconds_since(start);
  std::vector<long> rss;
  for (auto* r : bench.cluster->runners()) rss.push_back(rss_kib(r->pid()));
  std::sort(rss.begin(), rss.end());
  const long total = std::accumulate(rss.begin(), rss.end(), 0L);
  std::cout << fmt::format(
      "worker   formation of {} workers: {:.2f} s; resident memory per worker: median {:.1f} MiB, max {:.1f} MiB, "
      "all {:.0f} MiB (target: a few MiB each)\n",
      kWorkers, s, rss[rss.size() / 2] / 1024.0, rss.back() / 1024.0, total / 1024.0);
}

void migration_pauses(const std::string& worker) {
  constexpr int kWorkers = 5;
  constexpr int kRounds = 3;
  Bench bench(worker, kWorkers);
  bench.cluster->start();
  bench.await_formed(kWorkers);
  harness::VoteTraffic traffic(harness::parse_address(bench.cluster->source_address()), {10, 50ms});
  traffic.start();
  std::vector<double> grow_ms, shrink_ms;
  const std::string step(harness::alphabet::kStateStep);
  for (int round = 0; round < kRounds; ++round) {
    auto start = Clock::now();
    auto joined = bench.cluster->grow(4);
    bench.await("grow by 4", {harness::is_processing(), harness::has_members(bench.cluster->member_names()),
                              harness::all_workers_own_partitions(step)});
    grow_ms.push_back(seconds_since(start) * 1000);
    start = Clock::now();
    auto reply = bench.cluster->shrink(bench.cluster->pick_leavers(4));
    if (!reply.accepted()) fail("shrink refused: " + reply.text);
    bench.await("shrink by 4", {harness::is_processing(), harness::has_members(bench.cluster->member_names()),
                                harness::all_workers_own_partitions(step)});
    shrink_ms.push_back(seconds_since(start) * 1000);
  }
  if (auto r = traffic.stop(30s); !r) fail(r.message());
  if (auto r = traffic.await_final_totals(bench.sink, 30s); !r) fail(r.message());
  if (auto problems = traffic.check_exactly_once(bench.sink); !problems.empty()) fail(problems);
  auto summary = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return fmt::format("median {:.0f} ms, max {:.0f} ms", v[v.size() / 2], v.back());
  };
  std::cout << fmt::format("worker   request to resumed, {} workers +4/-4 under traffic: grow {}; shrink {}\n", kWorkers,
                           summary(grow_ms), summary(shrink_ms));
}

void cluster_throughput(const std::string& worker) {
  constexpr int kWorkers = 3;
  constexpr std::uint64_t kRecords = 200'000;
  Bench bench(worker, kWorkers);
  bench.cluster->start();
  bench.await_formed(kWorkers);
  harness::VoteLedger ledger;
  harness::Reader reader(
      harness::items_source(harness::alphabet::letter_keys(),
                            [](const std::string& key) { return harness::alphabet::encode_vote(key, 1); },
                            /*cycle=*/true, kRecords),
      [&ledger](const std::string& payload) { ledger.record_sent(payload); });
  const harness::Address source = harness::parse_address(bench.cluster->source_address());
  harness::Sender sender(source.host, source.port, reader, {500, 0ms});
  const auto start = Clock::now();
  sender.start();
  if (auto r = sender.join(120s); !r) fail(r.message());
  if (auto r = harness::SinkAwaitValue(bench.sink, ledger.final_total_frames(), 120s).wait(); !r) fail(r.message());
  const double s = seconds_since(start);
  // A figure only counts if nothing was lost or doubled on the way.
  if (auto problems = ledger.check_exactly_once(bench.sink.snapshot()); !problems.empty()) fail(problems);
  std::cout << fmt::format("worker   {} workers at full pace: {} records in {:.2f} s, {:.0f} records/s end to end\n",
                           kWorkers, ledger.total_sent(), s, ledger.total_sent() / s);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string worker = argc > 1 ? argv[1] : ALPHABET_WORKER_PATH;
  std::cout << "cluster_bench: figures on " << worker << "\n";
  harness_throughput();
  formation_and_memory(worker);
  migration_pauses(worker);
  cluster_throughput(worker);
  return 0;
}
