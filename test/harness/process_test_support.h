#pragma once
// Small helpers shared by the process-side harness tests: is a pid gone, and
// a scoped environment variable.
#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "harness/wait_result.h"

namespace harness_test {

// The one-letter state from /proc/<pid>/stat, or nullopt if there is no such process.
inline std::optional<char> process_state(pid_t pid) {
  std::ifstream stat(fmt::format("/proc/{}/stat", pid));
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  auto close_paren = text.rfind(')');
  if (text.empty() || close_paren == std::string::npos || close_paren + 2 >= text.size()) return std::nullopt;
  return text[close_paren + 2];
}

// Dead: no such process, or a zombie waiting for whoever adopted it to reap it.
inline bool process_gone(pid_t pid) {
  auto state = process_state(pid);
  return !state || *state == 'Z' || *state == 'X';
}

// Live (not zombie) processes whose process group is `pgid`. A zombie whose
// parent (often init) has not reaped it yet is dead and does not count.
inline std::vector<pid_t> live_group_members(pid_t pgid) {
  std::vector<pid_t> live;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    auto close_paren = text.rfind(')');
    if (close_paren == std::string::npos) continue;
    std::istringstream fields(text.substr(close_paren + 2));
    char state = 0;
    long ppid = 0, group = 0;
    if (fields >> state >> ppid >> group && group == pgid && state != 'Z' && state != 'X')
      live.push_back(static_cast<pid_t>(std::stol(name)));
  }
  return live;
}

// A process that was sent SIGKILL disappears asynchronously: look again every
// few milliseconds (a repeated observation, not a sleep standing in for an event).
[[nodiscard]] inline harness::WaitResult await_process_gone(pid_t pid, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!process_gone(pid)) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return harness::WaitResult::Failed(fmt::format("awaited pid {} to be gone for {} ms; it is still in state {}",
                                                     pid, timeout.count(), process_state(pid).value_or('?')));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return harness::WaitResult::Ok();
}

// Killed group members die asynchronously too.
[[nodiscard]] inline harness::WaitResult await_group_gone(pid_t pgid, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto live = live_group_members(pgid);
    if (live.empty()) return harness::WaitResult::Ok();
    if (std::chrono::steady_clock::now() >= deadline) {
      return harness::WaitResult::Failed(fmt::format("awaited process group {} to have no live member for {} ms; "
                                                     "still alive: {} (first pid {})",
                                                     pgid, timeout.count(), live.size(), live.front()));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

// Sets an environment variable for one scope and restores the old value.
class ScopedEnv {
 public:
  ScopedEnv(std::string name, const std::string& value) : name_(std::move(name)) {
    if (const char* old = std::getenv(name_.c_str())) old_ = old;
    ::setenv(name_.c_str(), value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_) ::setenv(name_.c_str(), old_->c_str(), 1);
    else ::unsetenv(name_.c_str());
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::string name_;
  std::optional<std::string> old_;
};

}  // namespace harness_test
