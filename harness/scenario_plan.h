#pragma once
// The arithmetic of an autoscale scenario (scenarios.md): the whole op
// sequence and the smallest initial cluster that never drops below one worker.
#include <optional>
#include <string>
#include <vector>

namespace harness {

// `ops` repeated `cycles` times.
std::vector<int> expand_ops(const std::vector<int>& ops, int cycles);
// |lowest running sum| + 1 if it drops below 1, else 1; 0 for an empty sequence.
int minimum_initial_workers(const std::vector<int>& ops, int cycles);
// An error text if `initial` cannot run the sequence, else nullopt.
std::optional<std::string> check_initial_workers(const std::vector<int>& ops, int cycles, int initial);

}  // namespace harness
