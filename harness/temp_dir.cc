#include "harness/temp_dir.h"

#include <stdlib.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <system_error>
#include <vector>

#include <fmt/format.h>

namespace harness {

namespace {

std::filesystem::path temp_root() {
  const char* tmp = std::getenv("TMPDIR");
  return tmp && *tmp ? std::filesystem::path(tmp) : std::filesystem::path("/tmp");
}

}  // namespace

TempDir::TempDir(const std::string& prefix) {
  if (prefix.find('/') != std::string::npos) {
    throw std::invalid_argument(
        fmt::format("TempDir prefix '{}' must be a plain name, without '/'", prefix));
  }
  std::string pattern = (temp_root() / (prefix + "XXXXXX")).string();
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (::mkdtemp(buffer.data()) == nullptr) {
    throw std::system_error(errno, std::generic_category(),
                            fmt::format("cannot create a temporary directory {}", pattern));
  }
  path_ = buffer.data();
}

TempDir::~TempDir() {
  if (keep_ || path_.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
  if (ec) {
    // A destructor cannot fail; say what was left behind instead.
    std::fprintf(stderr, "harness: could not remove temporary directory %s: %s\n", path_.c_str(),
                 ec.message().c_str());
  }
}

}  // namespace harness
