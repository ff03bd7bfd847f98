#include "harness/interrupt_cleanup.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <mutex>
#include <set>
#include <thread>

namespace harness {
namespace {

constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP};

struct Registry {
  std::mutex mutex;
  std::set<std::filesystem::path> paths;
  int pipe_write = -1;
};

Registry& registry() {
  static Registry* instance = new Registry;  // never destroyed: the watcher may outlive static destruction
  return *instance;
}

// Async-signal-safe: only hands the signal number to the watcher thread.
void on_signal(int sig) {
  const int saved = errno;
  const unsigned char byte = static_cast<unsigned char>(sig);
  [[maybe_unused]] auto written = ::write(registry().pipe_write, &byte, 1);
  errno = saved;
}

void watch(int pipe_read) {
  unsigned char sig = 0;
  while (::read(pipe_read, &sig, 1) == -1 && errno == EINTR) {
  }
  {
    std::lock_guard lock(registry().mutex);
    for (const auto& path : registry().paths) {
      // Workers still run until this process is gone (then they die with
      // it) and may write into the directory meanwhile: try a few times.
      std::error_code error;
      for (int attempt = 0; attempt < 3; ++attempt) {
        std::filesystem::remove_all(path, error);
        if (!error) break;
      }
    }
  }
  // The default course: the process ends by this signal.
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

void install_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return;  // no cleanup on interrupt; the next run's sweep remains
    registry().pipe_write = fds[1];
    std::thread(watch, fds[0]).detach();
    struct sigaction action {};
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    for (int sig : kSignals) {
      struct sigaction previous {};
      // A signal someone chose to ignore (e.g. nohup's SIGHUP) stays ignored.
      if (::sigaction(sig, nullptr, &previous) == 0 && previous.sa_handler == SIG_IGN) continue;
      ::sigaction(sig, &action, nullptr);
    }
  });
}

}  // namespace

void remove_on_interrupt(const std::filesystem::path& path) {
  install_once();
  std::lock_guard lock(registry().mutex);
  registry().paths.insert(path);
}

void forget_on_interrupt(const std::filesystem::path& path) {
  std::lock_guard lock(registry().mutex);
  registry().paths.erase(path);
}

}  // namespace harness
