#include "harness/cluster.h"

#include <cstdio>
#include <stdexcept>

#include <fmt/format.h>

namespace harness {

namespace {

constexpr std::size_t kReportTailLines = 40;
// After SIGKILL only the kernel's teardown is left to wait for.
constexpr std::chrono::seconds kKillWait{10};

std::string join(const std::vector<std::string>& parts, const char* separator) {
  std::string joined;
  for (const auto& part : parts) {
    if (!joined.empty()) joined += separator;
    joined += part;
  }
  return joined;
}

}  // namespace

struct Cluster::Member {
  std::unique_ptr<Runner> runner;
  // Asked to leave (shrink) or to stop: exiting 0 is then expected.
  bool expected_exit = false;
};

Cluster::Cluster(ClusterOptions options, PortAllocator& ports)
    : options_(std::move(options)), ports_(ports) {
  if (options_.command.empty()) throw std::invalid_argument("ClusterOptions.command: no worker program given");
  if (options_.initial_workers < 1) {
    throw std::invalid_argument(
        fmt::format("ClusterOptions.initial_workers is {}: a cluster needs at least its initializer",
                    options_.initial_workers));
  }
  if (options_.sources < 1)
    throw std::invalid_argument(fmt::format("ClusterOptions.sources is {}: at least 1", options_.sources));
  if (options_.sink_address.empty()) throw std::invalid_argument("ClusterOptions.sink_address (--out) is empty");
  if (options_.metrics_address.empty())
    throw std::invalid_argument("ClusterOptions.metrics_address (--metrics) is empty");
  if (options_.work_dir.empty()) throw std::invalid_argument("ClusterOptions.work_dir is empty");
  if (options_.host != ports_.host()) {
    throw std::invalid_argument(fmt::format(
        "ClusterOptions.host is {} but the port allocator checks ports on {}: they must agree",
        options_.host, ports_.host()));
  }
  // The initializer's ports are known from the start, so a test can point a
  // sender or client at them before the workers run.
  source_ports_ = ports_.allocate(static_cast<std::size_t>(options_.sources));
  control_port_ = ports_.allocate();
  data_port_ = ports_.allocate();
  external_port_ = ports_.allocate();
  // Connects lazily, on its first request.
  external_ = std::make_unique<ExternalClient>(options_.host, external_port_);
}

Cluster::~Cluster() {
  try {
    bool first_stop = !stop_report_;
    StopReport report = stop();
    // Nobody will read a report made by the destructor: keep it on stderr.
    if (first_stop && !report.clean()) {
      std::fprintf(stderr, "harness: cluster stopped by its destructor was not clean:\n%s%s\n%s",
                   report.exited_nonzero.empty() ? "" : ("exited non-zero: " + join(report.exited_nonzero, "; ") + "\n").c_str(),
                   report.killed.empty() ? "" : ("killed: " + join(report.killed, "; ")).c_str(),
                   report.details.c_str());
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "harness: stopping the cluster failed: %s\n", e.what());
  }
  // Runners' destructors SIGKILL and reap whatever is still alive.
}

std::vector<std::string> Cluster::common_args(const std::string& name) const {
  std::vector<std::string> sources;
  for (auto port : source_ports_) sources.push_back(ports_.address(port));
  return {"--in",
          join(sources, ","),
          "--out",
          options_.sink_address,
          "--metrics",
          options_.metrics_address,
          "--resilience-dir",
          (options_.work_dir / "resilience").string(),
          "--name",
          name,
          "--ponythreads=1",
          "--ponypinasio",
          "--ponynoblock"};
}

Runner& Cluster::launch(const std::string& name, std::vector<std::string> contract_args) {
  if (stop_report_) throw std::logic_error(fmt::format("cannot start {}: the cluster was stopped", name));
  std::vector<std::string> argv = options_.command;
  for (auto& arg : common_args(name)) argv.push_back(std::move(arg));
  for (auto& arg : contract_args) argv.push_back(std::move(arg));
  auto member = std::make_unique<Member>();
  member->runner =
      std::make_unique<Runner>(name, std::move(argv), options_.work_dir / "logs" / (name + ".log"));
  member->runner->start();  // throws naming the command; nothing is recorded then
  members_.push_back(std::move(member));
  return *members_.back()->runner;
}

void Cluster::start() {
  if (!members_.empty()) throw std::logic_error("Cluster::start called twice");
  // Ports of every initial worker first: a failure to allocate leaves nothing running.
  std::vector<std::uint16_t> worker_ports =
      ports_.allocate(2 * static_cast<std::size_t>(options_.initial_workers - 1));
  launch(kInitializerName,
         {"--cluster-initializer", "--worker-count", std::to_string(options_.initial_workers),
          "--control", control_address(), "--data", ports_.address(data_port_), "--external",
          external_address()});
  for (int i = 0; i + 1 < options_.initial_workers; ++i) {
    launch(fmt::format("worker{}", next_worker_index_++),
           {"--my-control", ports_.address(worker_ports[2 * i]), "--my-data",
            ports_.address(worker_ports[2 * i + 1]), "--control", control_address()});
  }
}

std::vector<Runner*> Cluster::grow(int count) {
  if (members_.empty()) throw std::logic_error("Cluster::grow before start()");
  if (count < 1) throw std::invalid_argument(fmt::format("Cluster::grow({}): grow by at least 1", count));
  std::vector<std::uint16_t> joiner_ports = ports_.allocate(2 * static_cast<std::size_t>(count));
  std::vector<Runner*> joiners;
  for (int i = 0; i < count; ++i) {
    joiners.push_back(&launch(fmt::format("worker{}", next_worker_index_++),
                              {"--my-control", ports_.address(joiner_ports[2 * i]), "--my-data",
                               ports_.address(joiner_ports[2 * i + 1]), "--join", control_address(),
                               "--worker-count", std::to_string(count)}));
  }
  return joiners;
}

std::vector<Runner*> Cluster::pick_leavers(int count) {
  if (count < 0) throw std::invalid_argument(fmt::format("Cluster::pick_leavers({}): negative", count));
  std::vector<Runner*> leavers;
  for (auto it = members_.rbegin(); it != members_.rend() && static_cast<int>(leavers.size()) < count; ++it) {
    Member& member = **it;
    if (member.runner->name() == kInitializerName || member.expected_exit || !member.runner->alive()) continue;
    leavers.push_back(member.runner.get());
  }
  if (static_cast<int>(leavers.size()) < count) {
    throw std::runtime_error(fmt::format(
        "cannot pick {} workers to leave: only {} live non-initializer workers not already leaving "
        "(members: {})",
        count, leavers.size(), join(member_names(), ", ")));
  }
  return leavers;
}

ShrinkReply Cluster::shrink(const std::vector<Runner*>& leavers) {
  std::vector<std::string> names;
  for (Runner* leaver : leavers) names.push_back(leaver->name());
  ShrinkReply reply = external().shrink_by_names(names);
  // A refused shrink changes nothing: the workers stay members, and an exit of
  // theirs is still a crash.
  if (reply.accepted()) expect_exit(leavers);
  return reply;
}

void Cluster::expect_exit(const std::vector<Runner*>& runners) {
  for (Runner* runner : runners) {
    bool found = false;
    for (auto& member : members_) {
      if (member->runner.get() == runner) {
        member->expected_exit = true;
        found = true;
      }
    }
    if (!found) {
      throw std::invalid_argument(fmt::format("Cluster::expect_exit: '{}' is not a runner of this cluster",
                                              runner ? runner->name() : std::string("null")));
    }
  }
}

Runner& Cluster::initializer() {
  if (members_.empty()) throw std::logic_error("Cluster::initializer before start()");
  return *members_.front()->runner;
}

std::vector<Runner*> Cluster::runners() const {
  std::vector<Runner*> all;
  for (const auto& member : members_) all.push_back(member->runner.get());
  return all;
}

std::vector<std::string> Cluster::member_names() const {
  std::vector<std::string> names;
  for (const auto& member : members_)
    if (!member->expected_exit) names.push_back(member->runner->name());
  return names;
}

std::string Cluster::source_address() const { return ports_.address(source_ports_.front()); }
std::string Cluster::external_address() const { return ports_.address(external_port_); }
std::string Cluster::control_address() const { return ports_.address(control_port_); }

std::vector<std::string> Cluster::crashed() {
  std::vector<std::string> crashes;
  for (auto& member : members_) {
    Runner& runner = *member->runner;
    auto status = runner.poll();
    if (!status) continue;
    if (*status != 0) {
      crashes.push_back(fmt::format("{}: {}", runner.name(), runner.describe_status()));
    } else if (!member->expected_exit) {
      crashes.push_back(fmt::format("{}: exited 0 without being asked to leave or stop", runner.name()));
    }
  }
  return crashes;
}

std::string Cluster::outputs(std::size_t tail_lines, const std::vector<Runner*>& which) const {
  return format_outputs(which.empty() ? runners() : which, tail_lines);
}

StopReport Cluster::stop(std::chrono::milliseconds grace) {
  if (stop_report_) return *stop_report_;
  StopReport report;
  std::vector<Runner*> signalled, stragglers, reported;
  for (auto& member : members_) {
    member->expected_exit = true;
    if (member->runner->alive()) {
      member->runner->stop();
      signalled.push_back(member->runner.get());
    }
  }
  // One deadline for all: they were all signalled at once, so the whole stop
  // takes at most `grace`, not `grace` per worker.
  const auto deadline = std::chrono::steady_clock::now() + grace;
  for (Runner* runner : signalled) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (!runner->wait_for(std::max(left, std::chrono::milliseconds(0)))) stragglers.push_back(runner);
  }
  for (Runner* runner : stragglers) {
    runner->kill();
    bool died = runner->wait_for(kKillWait);
    report.killed.push_back(fmt::format("{}: still running {} ms after SIGTERM, {}", runner->name(),
                                        grace.count(), died ? "killed with SIGKILL" : "survived SIGKILL"));
    reported.push_back(runner);
  }
  for (auto& member : members_) {
    Runner& runner = *member->runner;
    bool was_killed = false;
    for (Runner* straggler : stragglers) was_killed = was_killed || straggler == &runner;
    auto status = runner.poll();
    if (!was_killed && status && *status != 0) {
      report.exited_nonzero.push_back(fmt::format("{}: {}", runner.name(), runner.describe_status()));
      reported.push_back(&runner);
    }
  }
  if (!reported.empty()) report.details = format_outputs(reported, kReportTailLines);
  stop_report_ = std::make_unique<StopReport>(report);
  return report;
}

}  // namespace harness
