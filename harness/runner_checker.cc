#include "harness/runner_checker.h"

#include <regex>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>

namespace harness {

namespace {

// How often the log is looked at again. The log is a file written by another
// process, with no event to wait on: this is a repeated observation of a
// condition, not a sleep that stands in for one.
constexpr std::chrono::milliseconds kPollInterval{20};
constexpr std::size_t kTailLines = 30;

std::vector<std::regex> compile(const std::vector<std::string>& patterns) {
  std::vector<std::regex> compiled;
  compiled.reserve(patterns.size());
  for (const auto& pattern : patterns) {
    try {
      compiled.emplace_back(pattern, std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
      throw std::invalid_argument(fmt::format("bad log pattern '{}': {}", pattern, e.what()));
    }
  }
  return compiled;
}

std::string quoted_list(const std::vector<std::string>& patterns, std::size_t from) {
  std::string list;
  for (std::size_t i = from; i < patterns.size(); ++i) {
    if (!list.empty()) list += ", ";
    list += "'" + patterns[i] + "'";
  }
  return list;
}

}  // namespace

RunnerChecker::RunnerChecker(Runner& runner, std::vector<std::string> patterns,
                             std::chrono::milliseconds timeout, std::size_t from)
    : runner_(runner), patterns_(std::move(patterns)), timeout_(timeout), from_(from) {
  if (patterns_.empty()) throw std::invalid_argument("RunnerChecker: no patterns to wait for");
  compile(patterns_);  // a bad pattern is an error now, not a timeout later
}

WaitResult RunnerChecker::wait() {
  const auto regexes = compile(patterns_);
  const auto started = std::chrono::steady_clock::now();
  const auto deadline = started + timeout_;
  std::size_t next = 0;          // index of the pattern awaited now
  std::size_t read_to = from_;   // output consumed up to here
  std::string partial;           // an unfinished last line, kept for the next read

  // Feeds complete lines to the patterns; true once all have matched.
  auto consume = [&](const std::string& chunk, bool final) {
    std::size_t line_offset = read_to - partial.size();  // where `partial` begins
    partial += chunk;
    read_to += chunk.size();
    std::size_t begin = 0;
    for (;;) {
      std::size_t newline = partial.find('\n', begin);
      // A line without its newline may still be being written, unless the
      // process has exited: then it is the last line.
      if (newline == std::string::npos && !(final && begin < partial.size())) break;
      std::size_t end = newline == std::string::npos ? partial.size() : newline;
      std::string line = partial.substr(begin, end - begin);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      begin = newline == std::string::npos ? partial.size() : newline + 1;
      if (std::regex_search(line, regexes[next]) && ++next == regexes.size()) {
        end_offset_ = line_offset + begin;
        return true;
      }
    }
    partial.erase(0, begin);
    return false;
  };

  auto progress = [&] {
    return fmt::format("matched {} of {}; still missing, in order: {}", next, patterns_.size(),
                       quoted_list(patterns_, next));
  };
  auto seconds_since_start = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  };

  for (;;) {
    // Status first, output second: if the process had exited, the output read
    // afterwards is all it will ever write.
    const bool exited = !runner_.alive();
    if (consume(runner_.output(read_to), exited)) return WaitResult::Ok();
    if (exited) {
      return WaitResult::Failed(fmt::format(
          "runner '{}' {} after {:.1f}s while awaiting its output patterns ({}); log {}; "
          "last {} lines:\n{}",
          runner_.name(), runner_.describe_status(), seconds_since_start(), progress(),
          runner_.log_path().string(), kTailLines, runner_.tail(kTailLines)));
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return WaitResult::Failed(fmt::format(
          "timed out after {:.1f}s awaiting output patterns of runner '{}' ({}); it is {}; log {}; "
          "last {} lines:\n{}",
          seconds_since_start(), runner_.name(), progress(), runner_.describe_status(),
          runner_.log_path().string(), kTailLines, runner_.tail(kTailLines)));
    }
    std::this_thread::sleep_for(
        std::min<std::chrono::steady_clock::duration>(kPollInterval, deadline - std::chrono::steady_clock::now()));
  }
}

WaitResult wait_for_ready(Runner& runner, const std::string& pattern,
                          std::chrono::milliseconds timeout, std::size_t from) {
  return RunnerChecker(runner, {pattern}, timeout, from).wait();
}

std::string regex_literal(const std::string& text) {
  static const std::regex special(R"([.^$|()\[\]{}*+?\\])");
  return std::regex_replace(text, special, R"(\$&)");
}

}  // namespace harness
