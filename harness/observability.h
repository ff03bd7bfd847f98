#pragma once
// Repeats a query and a list of named checks until every check passes or the
// timeout passes. On timeout it lists every check still failing with its last
// message, and the last query result. A query that throws stops the wait with
// that error. An optional abort probe (e.g. "a worker crashed") is asked on
// every round and ends the wait at once with its message.
#include <algorithm>
#include <chrono>
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "harness/wait_result.h"

namespace harness {

template <typename Result>
class ObservabilityNotifier {
 public:
  using Query = std::function<Result()>;
  // A check returns an empty string when it passes, else why it fails now.
  struct Check {
    std::string name;
    std::function<std::string(const Result&)> test;
  };
  using Describe = std::function<std::string(const Result&)>;
  // Returns a reason to give up now, or an empty string to go on.
  using AbortProbe = std::function<std::string()>;

  ObservabilityNotifier(std::string what, Query query, std::vector<Check> checks,
                        std::chrono::milliseconds timeout, Describe describe,
                        std::chrono::milliseconds period = std::chrono::milliseconds(25),
                        AbortProbe abort = {})
      : what_(std::move(what)),
        query_(std::move(query)),
        checks_(std::move(checks)),
        timeout_(timeout),
        describe_(std::move(describe)),
        period_(period),
        abort_(std::move(abort)) {}

  [[nodiscard]] WaitResult wait() {
    const auto start = std::chrono::steady_clock::now();
    const auto deadline = start + timeout_;
    std::vector<std::pair<std::string, std::string>> failing;
    for (;;) {
      if (abort_) {
        if (std::string reason = abort_(); !reason.empty()) {
          return WaitResult::Failed(fmt::format("while awaiting {}: gave up: {}{}", what_, reason,
                                                last_seen()));
        }
      }
      try {
        last_ = query_();
      } catch (const std::exception& e) {
        return WaitResult::Failed(
            fmt::format("while awaiting {}: the query failed: {}{}", what_, e.what(), last_seen()));
      }
      failing.clear();
      for (const Check& check : checks_) {
        if (std::string why = check.test(*last_); !why.empty()) failing.emplace_back(check.name, why);
      }
      if (failing.empty()) return WaitResult::Ok();
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline) break;
      // The poll period of a repeated query (the cluster offers no push), cut short at the deadline.
      std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(period_, deadline - now));
    }
    std::string report = fmt::format("timed out after {} ms awaiting {}; still failing:", timeout_.count(), what_);
    for (const auto& [name, why] : failing) report += fmt::format("\n  - {}: {}", name, why);
    return WaitResult::Failed(report + last_seen());
  }

  const std::optional<Result>& last_result() const { return last_; }

 private:
  std::string last_seen() const {
    if (!last_) return "\n  last query result: none (no query answered)";
    return "\n  last query result: " + describe_(*last_);
  }

  std::string what_;
  Query query_;
  std::vector<Check> checks_;
  std::chrono::milliseconds timeout_;
  Describe describe_;
  std::chrono::milliseconds period_;
  AbortProbe abort_;
  std::optional<Result> last_;
};

}  // namespace harness
