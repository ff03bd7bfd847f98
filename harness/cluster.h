#pragma once
// A cluster of worker processes started with the contract's command lines
// (worker-contract.md section 1): the initializer, the other initial workers,
// and joiners for each grow step. It owns the runners and its ports, knows
// which runners were asked to leave or stop, and so can tell a crash from an
// expected exit. Its destructor stops everything: no process outlives it.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "harness/external_client.h"
#include "harness/ports.h"
#include "harness/runner.h"

namespace harness {

struct ClusterOptions {
  // The worker program and any arguments of its own; the contract's flags are appended.
  std::vector<std::string> command;
  std::string host = "127.0.0.1";
  int initial_workers = 1;
  int sources = 1;
  std::string sink_address;     // --out
  std::string metrics_address;  // --metrics
  // Worker logs go to work_dir/logs/<name>.log, --resilience-dir is work_dir/resilience.
  std::filesystem::path work_dir;
};

// How the end of a cluster went.
struct StopReport {
  std::vector<std::string> exited_nonzero;  // "worker3: exited 1"
  std::vector<std::string> killed;          // still running after the grace period
  std::string details;                      // output tails of the above
  bool clean() const { return exited_nonzero.empty() && killed.empty(); }
};

class Cluster {
 public:
  static constexpr const char* kInitializerName = "initializer";

  // `ports` must outlive the cluster.
  Cluster(ClusterOptions options, PortAllocator& ports);
  ~Cluster();  // stop() unless already stopped
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  // Starts the initializer and initial_workers - 1 workers (worker1, ...).
  void start();
  // Starts `count` joiners (the next names in line) with --join and
  // --worker-count count; returns them.
  std::vector<Runner*> grow(int count);
  // The `count` most recently started live workers that are not the
  // initializer and not already leaving. Throws std::runtime_error if there are fewer.
  std::vector<Runner*> pick_leavers(int count);
  // Sends a shrink request naming `leavers` and marks them as leaving (they
  // are expected to exit 0 on their own).
  ShrinkReply shrink(const std::vector<Runner*>& leavers);
  // Marks runners as expected to exit (e.g. after a shrink sent by other means).
  void expect_exit(const std::vector<Runner*>& runners);

  ExternalClient& external() { return *external_; }
  Runner& initializer();
  std::vector<Runner*> runners() const;
  // Names of the runners that are started and not leaving: the expected membership.
  std::vector<std::string> member_names() const;
  std::string source_address() const;    // first --in address
  std::string external_address() const;  // initializer's --external
  std::string control_address() const;   // initializer's --control (what joiners --join)
  const ClusterOptions& options() const { return options_; }

  // Runners that exited without being asked to, or exited non-zero: one line
  // each ("worker3: killed by SIGSEGV"). Empty when none crashed.
  std::vector<std::string> crashed();
  // The output tails (`tail_lines` each) of the given runners, or of all.
  std::string outputs(std::size_t tail_lines, const std::vector<Runner*>& which = {}) const;

  // SIGTERM to every live runner, wait up to `grace` for all of them, SIGKILL
  // the stragglers; report who exited non-zero or had to be killed.
  // Idempotent: a second call reports the first stop.
  StopReport stop(std::chrono::milliseconds grace = std::chrono::seconds(30));

 private:
  struct Member;
  Runner& launch(const std::string& name, std::vector<std::string> contract_args);
  std::vector<std::string> common_args(const std::string& name) const;

  ClusterOptions options_;
  PortAllocator& ports_;
  std::vector<std::uint16_t> source_ports_;
  std::uint16_t control_port_ = 0, data_port_ = 0, external_port_ = 0;
  int next_worker_index_ = 1;
  std::vector<std::unique_ptr<Member>> members_;  // in start order; initializer first
  std::unique_ptr<ExternalClient> external_;
  std::unique_ptr<StopReport> stop_report_;
};

}  // namespace harness
