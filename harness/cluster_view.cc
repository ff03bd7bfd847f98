#include "harness/cluster_view.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace harness {
namespace {

std::set<std::string> status_names(const ClusterView& view) {
  return {view.status.worker_names.begin(), view.status.worker_names.end()};
}

}  // namespace

ClusterView observe(ExternalClient& client) {
  ClusterView view;
  view.status = client.cluster_status();
  if (view.status.initialized) view.partitions = client.partitions();
  return view;
}

std::string describe(const ClusterView& view) {
  if (!view.status.initialized) return "cluster status: not initialized (type 11)";
  std::string out = "cluster status " + view.status.raw;
  for (const auto& [step, workers] : view.partitions.state_partitions) {
    std::vector<std::string> counts;
    for (const auto& [worker, keys] : workers) counts.push_back(fmt::format("{}: {}", worker, keys.size()));
    out += fmt::format("; partitions of {}: {{{}}}", step, fmt::join(counts, ", "));
  }
  return out;
}

WaitResult await_cluster(Cluster& cluster, const std::string& what, std::vector<ClusterCheck> checks,
                         std::chrono::milliseconds timeout, std::chrono::milliseconds period) {
  ObservabilityNotifier<ClusterView> notifier(
      what, [&cluster] { return observe(cluster.external()); }, std::move(checks), timeout,
      [](const ClusterView& view) { return describe(view); }, period, [&cluster] {
        const auto crashed = cluster.crashed();
        return crashed.empty() ? std::string() : fmt::format("workers crashed: {}", crashed);
      });
  return notifier.wait();
}

ClusterCheck is_processing() {
  return {"cluster is processing messages", [](const ClusterView& v) -> std::string {
            if (!v.status.initialized) return "the cluster is not initialized yet";
            return v.status.processing_messages ? "" : "processing_messages is false";
          }};
}

ClusterCheck has_worker_count(int count) {
  return {fmt::format("cluster has {} workers", count), [count](const ClusterView& v) -> std::string {
            if (v.status.worker_count == count) return "";
            return fmt::format("worker_count is {} ({})", v.status.worker_count, v.status.worker_names);
          }};
}

ClusterCheck has_members(std::vector<std::string> names) {
  std::sort(names.begin(), names.end());
  return {fmt::format("members are exactly {}", names), [names](const ClusterView& v) -> std::string {
            const std::set<std::string> want(names.begin(), names.end());
            const std::set<std::string> in_status = status_names(v);
            const std::set<std::string> in_map = v.partitions.workers_listed();
            std::vector<std::string> problems;
            for (const auto& n : want) {
              if (!in_status.count(n)) problems.push_back(fmt::format("{} missing from the status", n));
              if (!in_map.count(n)) problems.push_back(fmt::format("{} missing from the partition map", n));
            }
            for (const auto& n : in_status)
              if (!want.count(n)) problems.push_back(fmt::format("{} still in the status", n));
            for (const auto& n : in_map)
              if (!want.count(n)) problems.push_back(fmt::format("{} still in the partition map", n));
            return problems.empty() ? "" : fmt::format("{}", fmt::join(problems, "; "));
          }};
}

ClusterCheck all_workers_own_partitions(std::string step) {
  return {fmt::format("every worker owns a {} partition", step), [step](const ClusterView& v) -> std::string {
            const auto it = v.partitions.state_partitions.find(step);
            std::vector<std::string> idle;
            for (const auto& name : v.status.worker_names) {
              const bool owns = it != v.partitions.state_partitions.end() && it->second.count(name) &&
                                !it->second.at(name).empty();
              if (!owns) idle.push_back(name);
            }
            return idle.empty() ? "" : fmt::format("owning nothing: {}", idle);
          }};
}

ClusterCheck each_partition_owned_once(std::string step, std::set<std::string> keys) {
  return {fmt::format("each of the {} {} partitions has one owner", keys.size(), step),
          [step, keys](const ClusterView& v) -> std::string {
            std::map<std::string, int> owners;
            if (auto it = v.partitions.state_partitions.find(step); it != v.partitions.state_partitions.end())
              for (const auto& [worker, owned] : it->second)
                for (const auto& key : owned) ++owners[key];
            std::vector<std::string> unowned, shared, unknown;
            for (const auto& key : keys) {
              const int n = owners.count(key) ? owners[key] : 0;
              if (n == 0) unowned.push_back(key);
              if (n > 1) shared.push_back(key);
            }
            for (const auto& [key, n] : owners)
              if (!keys.count(key)) unknown.push_back(key);
            std::vector<std::string> problems;
            if (!unowned.empty()) problems.push_back(fmt::format("{} unowned (e.g. {})", unowned.size(), unowned.front()));
            if (!shared.empty()) problems.push_back(fmt::format("{} owned twice (e.g. {})", shared.size(), shared.front()));
            if (!unknown.empty()) problems.push_back(fmt::format("unknown keys {}", unknown));
            return problems.empty() ? "" : fmt::format("{}", fmt::join(problems, "; "));
          }};
}

ClusterCheck joiners_took_partitions_from_others(std::string step, PartitionMap before,
                                                 std::vector<std::string> joiners) {
  return {fmt::format("joiners {} took {} partitions from other workers", joiners, step),
          [step, before = std::move(before), joiners](const ClusterView& v) -> std::string {
            const auto now = v.partitions.state_partitions.find(step);
            if (now == v.partitions.state_partitions.end()) return fmt::format("no {} partitions are listed", step);
            const auto owners_before = before.owners(step);
            std::vector<std::string> problems;
            for (const auto& joiner : joiners) {
              const auto it = now->second.find(joiner);
              if (it == now->second.end() || it->second.empty()) {
                problems.push_back(fmt::format("{} owns no {} partition", joiner, step));
                continue;
              }
              for (const auto& key : it->second) {
                const auto prev = owners_before.find(key);
                if (prev == owners_before.end())
                  problems.push_back(fmt::format("{} owns {} which nobody owned before", joiner, key));
                else if (prev->second == joiner)
                  problems.push_back(fmt::format("{} owned {} before it joined", joiner, key));
              }
            }
            return problems.empty() ? "" : fmt::format("{}", fmt::join(problems, "; "));
          }};
}

ClusterCheck leavers_are_gone(std::vector<std::string> leavers) {
  return {fmt::format("leavers {} are gone", leavers), [leavers](const ClusterView& v) -> std::string {
            const auto in_status = status_names(v);
            const auto in_map = v.partitions.workers_listed();
            std::vector<std::string> problems;
            for (const auto& name : leavers) {
              if (in_status.count(name)) problems.push_back(fmt::format("{} still in the status", name));
              if (in_map.count(name)) problems.push_back(fmt::format("{} still in the partition map", name));
            }
            return problems.empty() ? "" : fmt::format("{}", fmt::join(problems, "; "));
          }};
}

}  // namespace harness
