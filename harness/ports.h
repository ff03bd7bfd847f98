#pragma once
// Port allocation that stays correct when several test binaries run at once
// (ctest -j). Each port handed out is
//   - below the kernel's ephemeral range (ip_local_port_range), so no
//     outgoing connection is given it by the OS in the meantime;
//   - reserved across processes by an exclusive flock() on a per-port file in
//     a shared registry directory, held until the allocator is destroyed;
//   - checked free by binding it once, before it is handed out.
// Nothing is "scanned and hoped": two live allocators never hand out the same
// port, and a port in use by anyone else is never handed out.
// The range is [10000, start of the ephemeral range); the environment variable
// AUTOSCALE_PORT_RANGE=FIRST-LAST overrides it (read at each allocate()).
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace harness {

class PortAllocator {
 public:
  // registry: the shared lock directory (default: $TMPDIR/autoscale-port-locks).
  explicit PortAllocator(std::string host = "127.0.0.1", std::filesystem::path registry = {});
  // Releases every reservation.
  ~PortAllocator();
  PortAllocator(const PortAllocator&) = delete;
  PortAllocator& operator=(const PortAllocator&) = delete;

  // Throws std::runtime_error if the range is exhausted.
  std::uint16_t allocate();
  std::vector<std::uint16_t> allocate(std::size_t count);
  const std::string& host() const { return host_; }
  std::string address(std::uint16_t port) const;  // "host:port"
  std::size_t held() const { return locks_.size(); }

 private:
  struct Lock {
    std::uint16_t port;
    int fd;
    std::filesystem::path path;
  };
  std::string host_;
  std::filesystem::path registry_;
  std::vector<Lock> locks_;
};

}  // namespace harness
