#include "harness/scenario_plan.h"

#include <cstdlib>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace harness {

std::vector<int> expand_ops(const std::vector<int>& ops, int cycles) {
  std::vector<int> all;
  all.reserve(ops.size() * static_cast<std::size_t>(cycles > 0 ? cycles : 0));
  for (int c = 0; c < cycles; ++c) all.insert(all.end(), ops.begin(), ops.end());
  return all;
}

int minimum_initial_workers(const std::vector<int>& ops, int cycles) {
  const std::vector<int> all = expand_ops(ops, cycles);
  if (all.empty()) return 0;
  int sum = 0;
  int low = all.front();  // the first partial sum counts
  for (int op : all) {
    sum += op;
    if (sum < low) low = sum;
  }
  return low < 1 ? std::abs(low) + 1 : 1;
}

std::optional<std::string> check_initial_workers(const std::vector<int>& ops, int cycles, int initial) {
  if (cycles < 1 && !ops.empty()) return fmt::format("cycles must be at least 1, got {}", cycles);
  if (ops.empty() || cycles < 1) {
    if (initial > 0) return std::nullopt;
    return fmt::format("a formation-only scenario (no ops) needs initial > 0, got {}", initial);
  }
  const int minimum = minimum_initial_workers(ops, cycles);
  if (initial >= minimum) return std::nullopt;
  return fmt::format(
      "ops {} x{} need at least {} initial workers (the running sum of the sequence drops to {}), "
      "but initial is {}",
      ops, cycles, minimum, 1 - minimum, initial);
}

}  // namespace harness
