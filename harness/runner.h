#pragma once
// One worker process: started from a command line in its own process group,
// stdout and stderr going to one log file that can be read while it runs.
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

namespace harness {

class Runner {
 public:
  // argv[0] is the program (a path, or a name looked up on PATH).
  Runner(std::string name, std::vector<std::string> argv, std::filesystem::path log_path);
  // Kills the whole process group if it is still running and reaps it.
  ~Runner();
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  // Spawns the process (Boost.Process) as leader of a new process group.
  // Throws std::runtime_error naming the command if it cannot be spawned.
  // The process is SIGKILLed when the thread that called start() ends (so a
  // killed test leaves no worker): call it from a thread that lives as long as
  // the test, such as the test's main thread, not from a short-lived one.
  void start();
  // Starts the same command line again (after it has exited); output is appended.
  void respawn();

  const std::string& name() const { return name_; }
  const std::vector<std::string>& argv() const { return argv_; }
  std::string command_line() const;  // argv joined, for reports
  const std::filesystem::path& log_path() const { return log_path_; }
  pid_t pid() const;

  // Output so far (stdout and stderr interleaved), from a byte offset.
  std::string output(std::size_t from = 0) const;
  // Current size of the output, an offset for output()/RunnerChecker.
  std::size_t tell() const;
  // The last `lines` lines of the output.
  std::string tail(std::size_t lines) const;

  // Exit status if the process has exited (non-blocking), else nullopt.
  // A process killed by a signal reports -SIGNUM (as Python's Popen does).
  std::optional<int> poll();
  bool alive() { return !poll().has_value(); }
  // "running", "exited 0", "exited 3", "killed by SIGKILL"...
  std::string describe_status();

  // SIGTERM to the process group.
  void stop();
  // SIGKILL to the process group (grandchildren included).
  void kill();
  // Waits until the process exits; true if it did within the timeout.
  bool wait_for(std::chrono::milliseconds timeout);

 private:
  struct Process;
  std::string name_;
  std::vector<std::string> argv_;
  std::filesystem::path log_path_;
  std::unique_ptr<Process> process_;
};

// Formats runners' outputs for failure reports: a header per runner (name,
// status, command line) then its whole output, or its last `tail_lines` lines.
std::string format_outputs(const std::vector<Runner*>& runners, std::size_t tail_lines = 0);

}  // namespace harness
