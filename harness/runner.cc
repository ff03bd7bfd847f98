#include "harness/runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <mutex>
#include <stdexcept>
#include <system_error>
#include <thread>

#include <boost/process/args.hpp>
#include <boost/process/child.hpp>
#include <boost/process/exe.hpp>
#include <boost/process/extend.hpp>
#include <boost/process/io.hpp>
#include <boost/process/search_path.hpp>
#include <fmt/format.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

namespace harness {
namespace bp = boost::process;

namespace {

// Runs in the child between fork and exec: only async-signal-safe calls.
void prepare_child_after_fork(pid_t test_process) {
  // Leader of a new process group, so one killpg reaches the worker and
  // everything it starts.
  ::setpgid(0, 0);
  // Its own group shields the worker from a Ctrl-C meant for ctest, and from
  // ctest killing a timed-out test: so it dies with the test process instead
  // (the signal comes when the thread that started it ends; runners are
  // started from the test's main thread). If the test process is already
  // gone, do not start at all.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != test_process) ::_exit(127);
  // The test process may block or ignore signals (threads, Asio); a worker
  // must start with the default behaviour, or SIGTERM could go unnoticed.
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int sig : {SIGTERM, SIGINT, SIGPIPE, SIGCHLD, SIGHUP}) ::signal(sig, SIG_DFL);
  // Descriptors the test process opened without O_CLOEXEC (Asio sockets, lock
  // files) must not leak into the worker, where they would keep a port bound
  // or a lock held. Marking them close-on-exec (not closing them) keeps
  // Boost.Process's own exec-error pipe working until the exec.
#ifdef SYS_close_range
  if (::syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) == 0) return;
#endif
  rlimit limit{};
  int max_fd = 4096;
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY)
    max_fd = static_cast<int>(limit.rlim_cur < 65536 ? limit.rlim_cur : 65536);
  for (int fd = 3; fd < max_fd; ++fd) {
    int flags = ::fcntl(fd, F_GETFD);
    if (flags != -1 && !(flags & FD_CLOEXEC)) ::fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
  }
}

std::string signal_name(int sig) {
  const char* abbrev = ::sigabbrev_np(sig);
  return abbrev ? fmt::format("SIG{}", abbrev) : fmt::format("signal {}", sig);
}

// Raw wait status -> exit code, or -SIGNUM for a signal death (as Popen does).
int decode_status(int raw) {
  if (WIFEXITED(raw)) return WEXITSTATUS(raw);
  if (WIFSIGNALED(raw)) return -WTERMSIG(raw);
  return raw;
}

std::string quote_for_shell(const std::string& arg) {
  if (!arg.empty() && arg.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                            "0123456789-_=+./:,@%") == std::string::npos)
    return arg;
  std::string quoted = "'";
  for (char c : arg) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

}  // namespace

// One spawn of the command line. A respawn makes a new one.
struct Runner::Process {
  bp::child child;
  pid_t pid = -1;
  // A pidfd becomes readable when the process exits, so waiting is an event,
  // not a sleep loop. -1 when the kernel has no pidfd_open.
  int pidfd = -1;
  std::mutex mutex;            // guards the reaping below
  std::optional<int> status;   // decoded exit status, once reaped

  ~Process() {
    if (pidfd != -1) ::close(pidfd);
  }

  // Non-blocking: reaps the process if it has exited.
  std::optional<int> reap_if_exited() {
    std::lock_guard<std::mutex> lock(mutex);
    if (status) return status;
    siginfo_t info{};
    // WNOWAIT: look without reaping, so the group id is still reserved by the
    // zombie leader while we kill what is left of the group (a grandchild the
    // worker left behind). After the reap the id could belong to a stranger.
    if (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == -1) {
      throw std::system_error(errno, std::generic_category(),
                              fmt::format("waitid({}) failed (was SIGCHLD ignored?)", pid));
    }
    if (info.si_pid == 0) return std::nullopt;
    ::killpg(pid, SIGKILL);
    std::error_code ec;
    child.wait(ec);  // reaps and records the raw status in the child object
    if (ec) throw std::system_error(ec, fmt::format("waitpid({}) failed", pid));
    status = decode_status(child.native_exit_code());
    return status;
  }

  // Blocks until the process has exited (something else must have made it exit).
  bool wait_until(std::chrono::steady_clock::time_point deadline) {
    for (;;) {
      if (reap_if_exited()) return true;
      auto now = std::chrono::steady_clock::now();
      if (now >= deadline) return false;
      auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - now);
      if (pidfd != -1) {
        pollfd waiter{pidfd, POLLIN, 0};
        int ready = ::poll(&waiter, 1, static_cast<int>(std::min<long long>(left.count(), 60000)));
        if (ready == -1 && errno != EINTR)
          throw std::system_error(errno, std::generic_category(), "poll(pidfd) failed");
      } else {
        // No pidfd (old kernel): a short repeated observation of waitid().
        std::this_thread::sleep_for(std::min(left, std::chrono::milliseconds(10)));
      }
    }
  }
};

Runner::Runner(std::string name, std::vector<std::string> argv, std::filesystem::path log_path)
    : name_(std::move(name)), argv_(std::move(argv)), log_path_(std::move(log_path)) {
  if (argv_.empty()) throw std::invalid_argument(fmt::format("runner '{}': empty command line", name_));
  if (log_path_.empty()) throw std::invalid_argument(fmt::format("runner '{}': empty log path", name_));
}

Runner::~Runner() {
  if (!process_) return;
  try {
    if (!process_->reap_if_exited()) {
      ::killpg(process_->pid, SIGKILL);
      // SIGKILL cannot be caught; the only wait left is the kernel tearing it
      // down, which can still hang on a process stuck in the kernel (state D).
      if (!process_->wait_until(std::chrono::steady_clock::now() + std::chrono::seconds(10)))
        std::fprintf(stderr, "harness: runner '%s' (pid %d) still not gone 10 s after SIGKILL; leaving it\n",
                     name_.c_str(), static_cast<int>(process_->pid));
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "harness: could not reap runner '%s': %s\n", name_.c_str(), e.what());
  }
}

void Runner::start() {
  if (process_) {
    throw std::logic_error(fmt::format("runner '{}' was already started (pid {}); use respawn()",
                                       name_, process_->pid));
  }
  boost::filesystem::path program = argv_.front();
  if (argv_.front().find('/') == std::string::npos) {
    program = bp::search_path(argv_.front());
    if (program.empty()) {
      throw std::runtime_error(fmt::format("cannot start runner '{}': program '{}' not found on PATH "
                                           "(command: {})",
                                           name_, argv_.front(), command_line()));
    }
  }
  std::error_code dir_ec;
  if (log_path_.has_parent_path()) std::filesystem::create_directories(log_path_.parent_path(), dir_ec);
  // Append mode ("a"): stdout and stderr share one offset-free descriptor, so
  // their writes interleave and a respawn adds to the same log. "e": O_CLOEXEC.
  std::FILE* log = std::fopen(log_path_.c_str(), "ae");
  if (!log) {
    throw std::runtime_error(fmt::format("cannot start runner '{}': cannot open log file {}: {}", name_,
                                         log_path_.string(), std::strerror(errno)));
  }
  auto process = std::make_unique<Process>();
  std::vector<std::string> args(argv_.begin() + 1, argv_.end());
  try {
    process->child = bp::child(bp::exe = program, bp::args = args, bp::std_in < bp::null,
                               (bp::std_out & bp::std_err) > log,
                               bp::extend::on_exec_setup([test_process = ::getpid()](auto&) {
                                 prepare_child_after_fork(test_process);
                               }));
  } catch (const std::exception& e) {
    std::fclose(log);
    throw std::runtime_error(
        fmt::format("cannot start runner '{}': {} (command: {})", name_, e.what(), command_line()));
  }
  std::fclose(log);
  process->pid = process->child.id();
  // Boost returns after the exec succeeded, so setpgid has run; setting it from
  // this side too would fail (EACCES after exec) and is not needed.
  process->pidfd = static_cast<int>(::syscall(SYS_pidfd_open, process->pid, 0));
  process_ = std::move(process);
}

void Runner::respawn() {
  if (process_ && !process_->reap_if_exited()) {
    throw std::logic_error(
        fmt::format("cannot respawn runner '{}': pid {} is still running", name_, process_->pid));
  }
  process_.reset();
  start();
}

std::string Runner::command_line() const {
  std::string line;
  for (const auto& arg : argv_) {
    if (!line.empty()) line += ' ';
    line += quote_for_shell(arg);
  }
  return line;
}

pid_t Runner::pid() const { return process_ ? process_->pid : -1; }

std::string Runner::output(std::size_t from) const {
  std::ifstream in(log_path_, std::ios::binary);
  if (!in) return {};
  in.seekg(0, std::ios::end);
  auto size = static_cast<std::size_t>(std::streamoff(in.tellg()));
  if (from >= size) return {};
  in.seekg(static_cast<std::streamoff>(from));
  std::string text(size - from, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  return text;
}

std::size_t Runner::tell() const {
  std::error_code ec;
  auto size = std::filesystem::file_size(log_path_, ec);
  return ec ? 0 : static_cast<std::size_t>(size);
}

std::string Runner::tail(std::size_t lines) const {
  std::string text = output();
  if (lines == 0) return {};
  // Ignore a final newline: it ends the last line rather than starting another.
  std::size_t end = text.size();
  if (end > 0 && text[end - 1] == '\n') --end;
  std::size_t start = end;
  for (std::size_t found = 0; start > 0; --start) {
    if (text[start - 1] == '\n' && ++found == lines) break;
  }
  return text.substr(start);
}

std::optional<int> Runner::poll() {
  if (!process_) throw std::logic_error(fmt::format("runner '{}' was never started", name_));
  return process_->reap_if_exited();
}

std::string Runner::describe_status() {
  if (!process_) return "not started";
  auto status = poll();
  if (!status) return "running";
  if (*status < 0) return "killed by " + signal_name(-*status);
  return fmt::format("exited {}", *status);
}

void Runner::stop() {
  if (process_ && !process_->reap_if_exited()) ::killpg(process_->pid, SIGTERM);
}

void Runner::kill() {
  if (process_ && !process_->reap_if_exited()) ::killpg(process_->pid, SIGKILL);
}

bool Runner::wait_for(std::chrono::milliseconds timeout) {
  if (!process_) throw std::logic_error(fmt::format("runner '{}' was never started", name_));
  return process_->wait_until(std::chrono::steady_clock::now() + timeout);
}

std::string format_outputs(const std::vector<Runner*>& runners, std::size_t tail_lines) {
  std::string report;
  for (Runner* runner : runners) {
    if (!runner) continue;
    std::string status;
    try {
      status = runner->describe_status();
    } catch (const std::exception& e) {
      status = fmt::format("status unknown: {}", e.what());
    }
    std::string text = tail_lines == 0 ? runner->output() : runner->tail(tail_lines);
    report += fmt::format("===== {} ({}, pid {}) {} =====\n$ {}\n", runner->name(), status,
                          runner->pid(),
                          tail_lines == 0 ? std::string("output")
                                          : fmt::format("last {} lines", tail_lines),
                          runner->command_line());
    report += text;
    if (!text.empty() && text.back() != '\n') report += '\n';
    if (text.empty()) report += "(no output)\n";
  }
  return report;
}

}  // namespace harness
