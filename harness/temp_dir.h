#pragma once
// A private temporary directory, removed with everything in it on destruction.
#include <filesystem>
#include <string>

namespace harness {

class TempDir {
 public:
  // Created under $TMPDIR (or /tmp) as <prefix><pid>.XXXXXX (mkdtemp), and
  // removed even if the process is interrupted (SIGINT, SIGTERM, SIGHUP).
  // Directories of this prefix left by a process that no longer exists
  // (killed outright) are removed first.
  explicit TempDir(const std::string& prefix = "autoscale.");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // Keeps the directory (e.g. to look at a failed test's logs): it is not
  // removed on destruction, on interrupt, or by a later run's sweep.
  void keep();

 private:
  std::filesystem::path path_;
  bool keep_ = false;
};

}  // namespace harness
