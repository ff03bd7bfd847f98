// The migration checks of scenarios.md, on crafted cluster views: each must
// pass on a good view and fail, saying why, on a bad one.
#include "harness/cluster_view.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace harness {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

const std::string kStep = "letter-state";

ClusterView View(std::map<std::string, std::vector<std::string>> owned, bool processing = true) {
  ClusterView view;
  view.status.initialized = true;
  view.status.processing_messages = processing;
  for (const auto& [worker, keys] : owned) view.status.worker_names.push_back(worker);
  view.status.worker_count = static_cast<int>(owned.size());
  view.partitions.state_partitions[kStep] = std::move(owned);
  return view;
}

std::string Why(const ClusterCheck& check, const ClusterView& view) { return check.test(view); }

TEST(ClusterViewTest, ProcessingAndWorkerCount) {
  EXPECT_THAT(Why(is_processing(), View({{"initializer", {"aa"}}})), IsEmpty());
  EXPECT_THAT(Why(is_processing(), View({{"initializer", {"aa"}}}, false)), HasSubstr("processing_messages is false"));
  ClusterView not_yet;
  EXPECT_THAT(Why(is_processing(), not_yet), HasSubstr("not initialized"));
  EXPECT_THAT(Why(has_worker_count(2), View({{"initializer", {"aa"}}})), HasSubstr("worker_count is 1"));
}

TEST(ClusterViewTest, EveryWorkerOwnsAPartition) {
  EXPECT_THAT(Why(all_workers_own_partitions(kStep), View({{"initializer", {"aa"}}, {"worker1", {"ab"}}})), IsEmpty());
  EXPECT_THAT(Why(all_workers_own_partitions(kStep), View({{"initializer", {"aa", "ab"}}, {"worker1", {}}})),
              HasSubstr("owning nothing: [\"worker1\"]"));
}

TEST(ClusterViewTest, EachPartitionHasOneOwner) {
  const std::set<std::string> keys = {"aa", "ab", "ac"};
  EXPECT_THAT(Why(each_partition_owned_once(kStep, keys), View({{"initializer", {"aa", "ab"}}, {"worker1", {"ac"}}})),
              IsEmpty());
  const std::string why =
      Why(each_partition_owned_once(kStep, keys), View({{"initializer", {"aa", "ab"}}, {"worker1", {"ab", "zz"}}}));
  EXPECT_THAT(why, HasSubstr("1 unowned (e.g. ac)"));
  EXPECT_THAT(why, HasSubstr("1 owned twice (e.g. ab)"));
  EXPECT_THAT(why, HasSubstr("unknown keys [\"zz\"]"));
}

TEST(ClusterViewTest, MembersAreExactlyTheExpectedOnes) {
  EXPECT_THAT(Why(has_members({"initializer", "worker1"}), View({{"initializer", {"aa"}}, {"worker1", {"ab"}}})),
              IsEmpty());
  const std::string why = Why(has_members({"initializer", "worker2"}), View({{"initializer", {"aa"}}, {"worker1", {"ab"}}}));
  EXPECT_THAT(why, HasSubstr("worker2 missing from the status"));
  EXPECT_THAT(why, HasSubstr("worker1 still in the status"));
}

TEST(ClusterViewTest, JoinersTookPartitionsOnlyFromOthers) {
  const PartitionMap before = View({{"initializer", {"aa", "ab", "ac"}}}).partitions;
  const auto check = joiners_took_partitions_from_others(kStep, before, {"worker1"});
  EXPECT_THAT(Why(check, View({{"initializer", {"aa", "ab"}}, {"worker1", {"ac"}}})), IsEmpty());
  EXPECT_THAT(Why(check, View({{"initializer", {"aa", "ab", "ac"}}, {"worker1", {}}})), HasSubstr("worker1 owns no"));
  EXPECT_THAT(Why(check, View({{"initializer", {"aa", "ab"}}, {"worker1", {"ac", "zz"}}})),
              HasSubstr("owns zz which nobody owned before"));
  ClusterView nothing_listed;
  nothing_listed.status.initialized = true;
  EXPECT_THAT(Why(check, nothing_listed), HasSubstr("no letter-state partitions are listed"));
}

TEST(ClusterViewTest, LeaversAreGoneFromStatusAndMap) {
  const auto check = leavers_are_gone({"worker1"});
  EXPECT_THAT(Why(check, View({{"initializer", {"aa"}}})), IsEmpty());
  const std::string why = Why(check, View({{"initializer", {"aa"}}, {"worker1", {}}}));
  EXPECT_THAT(why, HasSubstr("worker1 still in the status"));
  EXPECT_THAT(why, HasSubstr("worker1 still in the partition map"));
}

}  // namespace
}  // namespace harness
