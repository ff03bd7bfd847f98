#pragma once
// Waits for regular expressions to appear, in order, in a runner's output.
// Fails at once, with the exit status and output tail, if the runner dies
// while being waited on (instead of waiting out the timeout).
#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "harness/runner.h"
#include "harness/wait_result.h"

namespace harness {

class RunnerChecker {
 public:
  // patterns: ECMAScript regexes, each matched against one line; the search
  // starts at byte offset `from` of the output (see Runner::tell()).
  RunnerChecker(Runner& runner, std::vector<std::string> patterns,
                std::chrono::milliseconds timeout, std::size_t from = 0);

  // Waits until every pattern has matched a line, each after the previous one.
  // On timeout: the patterns still missing and the output tail.
  [[nodiscard]] WaitResult wait();
  // Offset just past the line that matched the last pattern (valid after ok).
  std::size_t end_offset() const { return end_offset_; }

 private:
  Runner& runner_;
  std::vector<std::string> patterns_;
  std::chrono::milliseconds timeout_;
  std::size_t from_;
  std::size_t end_offset_ = 0;
};

// A pattern that matches `text` literally (milestone lines hold '*', '~', '-', '.').
std::string regex_literal(const std::string& text);

// A worker is ready when it prints `pattern`; dies or times out otherwise.
[[nodiscard]] WaitResult wait_for_ready(Runner& runner, const std::string& pattern,
                                        std::chrono::milliseconds timeout, std::size_t from = 0);

}  // namespace harness
