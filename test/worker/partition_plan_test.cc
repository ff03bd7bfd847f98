// The worker's balanced, minimal-move partition assignment (a pure function).
#include "partition_plan.h"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include "harness/alphabet.h"

namespace alphabet {
namespace {

const std::vector<std::string>& Keys() { return harness::alphabet::partition_keys(); }

std::vector<std::string> Workers(int count, int first = 0) {
  std::vector<std::string> names;
  for (int i = first; i < first + count; ++i) names.push_back(i == 0 ? "initializer" : fmt::format("worker{}", i));
  return names;
}

// Every key on exactly one member, shares within one of each other.
::testing::AssertionResult IsBalancedCover(const PartitionPlan& plan, const std::vector<std::string>& members) {
  std::map<std::string, int> owners_of;
  std::size_t smallest = Keys().size(), largest = 0;
  for (const auto& member : members) {
    const auto it = plan.assignment.find(member);
    if (it == plan.assignment.end()) return ::testing::AssertionFailure() << member << " is missing from the plan";
    smallest = std::min(smallest, it->second.size());
    largest = std::max(largest, it->second.size());
    for (const auto& key : it->second) ++owners_of[key];
  }
  if (plan.assignment.size() != members.size())
    return ::testing::AssertionFailure() << "plan lists " << plan.assignment.size() << " workers, not " << members.size();
  for (const auto& key : Keys())
    if (owners_of[key] != 1) return ::testing::AssertionFailure() << "key " << key << " has " << owners_of[key] << " owners";
  if (owners_of.size() != Keys().size()) return ::testing::AssertionFailure() << "plan holds keys that do not exist";
  if (largest - smallest > 1)
    return ::testing::AssertionFailure() << "shares range from " << smallest << " to " << largest;
  return ::testing::AssertionSuccess();
}

Assignment Form(const std::vector<std::string>& members) { return plan_partitions({}, members, Keys()).assignment; }

TEST(PartitionPlanTest, FormationSpreadsAllKeysEvenly) {
  for (int n : {1, 2, 3, 10, 50, 677, 700}) {
    SCOPED_TRACE(fmt::format("{} workers", n));
    const auto members = Workers(n);
    const auto plan = plan_partitions({}, members, Keys());
    EXPECT_TRUE(IsBalancedCover(plan, members));
    EXPECT_EQ(plan.moves.size(), Keys().size()) << "at formation every key is placed once";
    for (const auto& move : plan.moves) EXPECT_TRUE(move.from.empty()) << move.key << " came from " << move.from;
  }
}

TEST(PartitionPlanTest, GrowMovesOnlyTheJoinersShareAndOnlyToJoiners) {
  for (auto [before, joining] : std::vector<std::pair<int, int>>{{1, 1}, {3, 1}, {3, 4}, {10, 3}, {5, 40}}) {
    SCOPED_TRACE(fmt::format("{} workers, {} joining", before, joining));
    const auto old_members = Workers(before);
    const auto current = Form(old_members);
    auto members = old_members;
    const auto joiners = Workers(joining, before);
    members.insert(members.end(), joiners.begin(), joiners.end());
    const auto plan = plan_partitions(current, members, Keys());
    EXPECT_TRUE(IsBalancedCover(plan, members));
    // Minimal: exactly what the joiners must end up holding moves, nothing else.
    std::size_t joiner_keys = 0;
    for (const auto& joiner : joiners) joiner_keys += plan.assignment.at(joiner).size();
    EXPECT_EQ(plan.moves.size(), joiner_keys);
    const std::set<std::string> joiner_set(joiners.begin(), joiners.end());
    for (const auto& move : plan.moves) {
      EXPECT_TRUE(joiner_set.count(move.to)) << move.key << " moved to staying worker " << move.to;
      EXPECT_FALSE(move.from.empty()) << move.key << " had no owner";
      EXPECT_FALSE(joiner_set.count(move.from)) << move.key << " came from joiner " << move.from;
    }
    // Joiners hold only keys that moved to them from another worker.
    for (const auto& joiner : joiners)
      for (const auto& key : plan.assignment.at(joiner))
        EXPECT_TRUE(std::any_of(plan.moves.begin(), plan.moves.end(),
                                [&](const PartitionMove& m) { return m.key == key && m.to == joiner; }))
            << joiner << " holds " << key << " without a move";
  }
}

TEST(PartitionPlanTest, ShrinkMovesOnlyTheLeaversKeys) {
  for (auto [before, leaving] : std::vector<std::pair<int, int>>{{2, 1}, {3, 2}, {10, 4}, {17, 16}}) {
    SCOPED_TRACE(fmt::format("{} workers, {} leaving", before, leaving));
    const auto old_members = Workers(before);
    const auto current = Form(old_members);
    const std::vector<std::string> members(old_members.begin(), old_members.end() - leaving);
    const auto plan = plan_partitions(current, members, Keys());
    EXPECT_TRUE(IsBalancedCover(plan, members));
    std::size_t leaver_keys = 0;
    for (auto it = old_members.end() - leaving; it != old_members.end(); ++it) leaver_keys += current.at(*it).size();
    EXPECT_EQ(plan.moves.size(), leaver_keys) << "only the leavers' keys move";
    const std::set<std::string> staying(members.begin(), members.end());
    for (const auto& move : plan.moves) EXPECT_FALSE(staying.count(move.from)) << move.key << " left " << move.from;
  }
}

TEST(PartitionPlanTest, UnbalancedStartIsRebalancedWithTheFewestMoves) {
  // worker1 holds 600 keys, the initializer 77; a joiner comes. Balanced: 226/226/225.
  Assignment current;
  for (std::size_t i = 0; i < Keys().size(); ++i) current[i < 77 ? "initializer" : "worker1"].push_back(Keys()[i]);
  const std::vector<std::string> members = {"initializer", "worker1", "worker2"};
  const auto plan = plan_partitions(current, members, Keys());
  EXPECT_TRUE(IsBalancedCover(plan, members));
  // worker1 must give 600 - 226 = 374 keys; nothing else needs to move.
  EXPECT_EQ(plan.moves.size(), 374u);
  for (const auto& move : plan.moves) EXPECT_EQ(move.from, "worker1");
}

TEST(PartitionPlanTest, RejectsNoMembersAndDuplicates) {
  EXPECT_THROW(plan_partitions({}, {}, Keys()), std::invalid_argument);
  EXPECT_THROW(plan_partitions({}, {"a", "a"}, Keys()), std::invalid_argument);
}

}  // namespace
}  // namespace alphabet
