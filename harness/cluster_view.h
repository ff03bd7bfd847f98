#pragma once
// One observation of a cluster through its external channel: the status and
// the partition map, taken together so a check can compare them. The named
// checks of scenarios.md (processing, worker count, every worker owns a
// partition, migrations went where they should) are functions of a view; each
// returns an empty string when it holds, else why not, in words.
#include <chrono>
#include <set>
#include <string>
#include <vector>

#include "harness/cluster.h"
#include "harness/external_client.h"
#include "harness/observability.h"
#include "harness/wait_result.h"

namespace harness {

struct ClusterView {
  ClusterStatus status;
  PartitionMap partitions;
};

// Queries the status, then (once initialized) the partitions.
ClusterView observe(ExternalClient& client);
// A short account for reports: the status JSON and, per worker, how many
// partitions it owns (the full map of 677 keys would drown the message).
std::string describe(const ClusterView& view);

using ClusterCheck = ObservabilityNotifier<ClusterView>::Check;

// Observes `cluster` every `period` until all `checks` pass. Gives up at once
// when a worker crashes; on timeout lists the checks still failing and the
// last view.
[[nodiscard]] WaitResult await_cluster(Cluster& cluster, const std::string& what, std::vector<ClusterCheck> checks,
                                       std::chrono::milliseconds timeout,
                                       std::chrono::milliseconds period = std::chrono::milliseconds(20));

ClusterCheck is_processing();
ClusterCheck has_worker_count(int count);
// Status and partition map both list exactly these workers.
ClusterCheck has_members(std::vector<std::string> names);
// Every worker in the status owns at least one partition of `step`.
ClusterCheck all_workers_own_partitions(std::string step);
// Every key of `step` is owned by exactly one worker.
ClusterCheck each_partition_owned_once(std::string step, std::set<std::string> keys);
// Each joiner owns partitions of `step`, and only ones some other worker owned in `before`.
ClusterCheck joiners_took_partitions_from_others(std::string step, PartitionMap before,
                                                 std::vector<std::string> joiners);
// No leaver is listed anywhere any more (so it owns nothing).
ClusterCheck leavers_are_gone(std::vector<std::string> leavers);

}  // namespace harness
