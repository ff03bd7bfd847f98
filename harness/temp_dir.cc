#include "harness/temp_dir.h"

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <system_error>
#include <vector>

#include <fmt/format.h>

#include "harness/interrupt_cleanup.h"

namespace harness {

namespace {

std::filesystem::path temp_root() {
  const char* tmp = std::getenv("TMPDIR");
  return tmp && *tmp ? std::filesystem::path(tmp) : std::filesystem::path("/tmp");
}

// Marks a directory that keep() asked to outlive its owner.
constexpr const char* kKeepMarker = ".kept";

// Directories <prefix><pid>.XXXXXX whose owner process is gone: it was
// killed (SIGKILL, e.g. by ctest on a timeout) before it could remove them.
void remove_abandoned(const std::string& prefix) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(temp_root(), ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) != 0) continue;
    const std::string rest = name.substr(prefix.size());
    const auto dot = rest.find('.');
    if (dot == std::string::npos || dot == 0 || rest.find_first_not_of("0123456789") != dot) continue;
    const pid_t owner = static_cast<pid_t>(std::stol(rest.substr(0, dot)));
    if (::kill(owner, 0) == 0 || errno != ESRCH) continue;  // alive (or not ours to judge)
    if (std::filesystem::exists(entry.path() / kKeepMarker)) continue;  // kept on purpose
    std::error_code ignored;
    std::filesystem::remove_all(entry.path(), ignored);
  }
}

}  // namespace

TempDir::TempDir(const std::string& prefix) {
  if (prefix.find('/') != std::string::npos) {
    throw std::invalid_argument(
        fmt::format("TempDir prefix '{}' must be a plain name, without '/'", prefix));
  }
  remove_abandoned(prefix);
  // The owner's pid in the name lets a later run tell an abandoned directory.
  std::string pattern = (temp_root() / fmt::format("{}{}.XXXXXX", prefix, ::getpid())).string();
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (::mkdtemp(buffer.data()) == nullptr) {
    throw std::system_error(errno, std::generic_category(),
                            fmt::format("cannot create a temporary directory {}", pattern));
  }
  path_ = buffer.data();
  remove_on_interrupt(path_);
}

void TempDir::keep() {
  keep_ = true;
  forget_on_interrupt(path_);
  std::ofstream(path_ / kKeepMarker) << "kept on purpose; later runs leave this directory alone\n";
}

TempDir::~TempDir() {
  if (keep_ || path_.empty()) return;
  forget_on_interrupt(path_);
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
  if (ec) {
    // A destructor cannot fail; say what was left behind instead.
    std::fprintf(stderr, "harness: could not remove temporary directory %s: %s\n", path_.c_str(),
                 ec.message().c_str());
  }
}

}  // namespace harness
