#include "harness/ports.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <random>
#include <stdexcept>
#include <system_error>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <fmt/format.h>

#include "harness/interrupt_cleanup.h"

namespace harness {

namespace {

constexpr const char* kRangeVariable = "AUTOSCALE_PORT_RANGE";
// Below this, ports belong to well-known system services.
constexpr unsigned kLowestPort = 10000;

struct PortRange {
  unsigned first;  // inclusive
  unsigned last;   // inclusive
  std::string origin;
  unsigned size() const { return last - first + 1; }
};

std::optional<PortRange> parse_range(const std::string& text) {
  unsigned first = 0, last = 0;
  char dash = 0, extra = 0;
  if (std::sscanf(text.c_str(), "%u %c %u %c", &first, &dash, &last, &extra) != 3 || dash != '-' ||
      first == 0 || last > 65535 || first > last)
    return std::nullopt;
  return PortRange{first, last, {}};
}

// Ports the allocator may hand out: the AUTOSCALE_PORT_RANGE override
// ("first-last", for machines whose ephemeral range leaves little room, and
// for tests), else [10000, start of the kernel's ephemeral range).
PortRange candidate_range() {
  if (const char* override_text = std::getenv(kRangeVariable)) {
    auto range = parse_range(override_text);
    if (!range) {
      throw std::invalid_argument(fmt::format(
          "{}='{}' is not a port range: expected FIRST-LAST with 0 < FIRST <= LAST <= 65535",
          kRangeVariable, override_text));
    }
    range->origin = fmt::format("{}={}", kRangeVariable, override_text);
    return *range;
  }
  unsigned ephemeral_first = 32768, ephemeral_last = 60999;  // the Linux default
  std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
  in >> ephemeral_first >> ephemeral_last;
  if (ephemeral_first <= kLowestPort + 100) {
    throw std::runtime_error(fmt::format(
        "the ephemeral port range starts at {} (ip_local_port_range), leaving no room below it for "
        "test ports; set {}=FIRST-LAST to a range nothing else uses",
        ephemeral_first, kRangeVariable));
  }
  return PortRange{kLowestPort, ephemeral_first - 1,
                   fmt::format("below the ephemeral range {}-{}", ephemeral_first, ephemeral_last)};
}

// Where this process starts looking: a pseudo-random offset per process, so
// concurrent test binaries do not all contend for the same first ports, then
// onwards, so successive allocations do not retry the same ones.
std::atomic<unsigned>& next_candidate() {
  static std::atomic<unsigned> cursor{[] {
    std::random_device entropy;
    std::seed_seq seed{entropy(), static_cast<unsigned>(::getpid()),
                       static_cast<unsigned>(std::chrono::steady_clock::now().time_since_epoch().count())};
    std::mt19937 generator(seed);
    return static_cast<unsigned>(generator());
  }()};
  return cursor;
}

std::filesystem::path default_registry() {
  const char* tmp = std::getenv("TMPDIR");
  return std::filesystem::path(tmp && *tmp ? tmp : "/tmp") / "autoscale-port-locks";
}

// True if nobody has the port bound on `host` right now. No SO_REUSEADDR:
// a port with a lingering connection (TIME_WAIT) counts as taken too.
bool can_bind(const boost::asio::ip::address& host, std::uint16_t port) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor probe(io);
  boost::system::error_code ec;
  boost::asio::ip::tcp::endpoint endpoint(host, port);
  probe.open(endpoint.protocol(), ec);
  if (ec) throw std::system_error(ec, "cannot open a socket to check ports");
  probe.bind(endpoint, ec);
  return !ec;
}

// Releasing: unlink while still holding the lock, then close. A waiter that
// locked the file we unlinked sees, after locking, that its descriptor no
// longer is the file at the path, and starts again (see try_lock).
void release(int fd, const std::filesystem::path& path) {
  ::unlink(path.c_str());
  ::close(fd);
}

// Takes the lock for `path` without waiting: the descriptor, or -1 if someone
// holds it.
int try_lock(const std::filesystem::path& path) {
  for (;;) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CREAT | O_CLOEXEC, 0666);
    if (fd == -1) {
      throw std::system_error(errno, std::generic_category(),
                              fmt::format("cannot open port lock file {}", path.string()));
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) == -1) {
      int error = errno;
      ::close(fd);
      if (error == EWOULDBLOCK) return -1;
      throw std::system_error(error, std::generic_category(),
                              fmt::format("cannot lock {}", path.string()));
    }
    // The holder may have unlinked the file between our open() and flock():
    // then we locked an orphan that nobody else will ever look at. Only a lock
    // on the file that is at the path now counts.
    struct stat held {}, current {};
    if (::fstat(fd, &held) == 0 && ::stat(path.c_str(), &current) == 0 &&
        held.st_dev == current.st_dev && held.st_ino == current.st_ino)
      return fd;
    ::close(fd);
  }
}

// Lock files whose holder died without releasing them (the kernel dropped
// its flock, the file stayed): take each such lock and release it, which
// unlinks the file, so the registry does not fill up with them.
void sweep_abandoned_locks(const std::filesystem::path& registry) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(registry, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("port-", 0) != 0 || entry.path().extension() != ".lock") continue;
    try {
      if (int fd = try_lock(entry.path()); fd != -1) release(fd, entry.path());
    } catch (const std::system_error&) {
      // Not ours to remove (another user's registry entry); leave it.
    }
  }
}

}  // namespace

PortAllocator::PortAllocator(std::string host, std::filesystem::path registry)
    : host_(std::move(host)), registry_(registry.empty() ? default_registry() : std::move(registry)) {
  boost::system::error_code ec;
  boost::asio::ip::make_address(host_, ec);
  if (ec) throw std::invalid_argument(fmt::format("PortAllocator: '{}' is not an IP address", host_));
  std::error_code fs_ec;
  if (std::filesystem::create_directories(registry_, fs_ec)) {
    // Shared by every test binary, possibly of several users: sticky and
    // world-writable like /tmp itself.
    std::filesystem::permissions(registry_, std::filesystem::perms::all | std::filesystem::perms::sticky_bit,
                                 fs_ec);
  }
  if (!std::filesystem::is_directory(registry_)) {
    throw std::runtime_error(
        fmt::format("port lock registry {} is not a directory and cannot be created", registry_.string()));
  }
  sweep_abandoned_locks(registry_);
}

PortAllocator::~PortAllocator() {
  for (const auto& lock : locks_) {
    forget_on_interrupt(lock.path);
    release(lock.fd, lock.path);
  }
}

std::uint16_t PortAllocator::allocate() {
  const PortRange range = candidate_range();
  const auto host = boost::asio::ip::make_address(host_);
  std::size_t locked_by_others = 0, bound_by_someone = 0;
  for (unsigned attempt = 0; attempt < range.size(); ++attempt) {
    const auto port = static_cast<std::uint16_t>(range.first + next_candidate()++ % range.size());
    bool ours = false;
    for (const auto& lock : locks_) ours = ours || lock.port == port;
    if (ours) continue;
    const auto path = registry_ / fmt::format("port-{}.lock", port);
    int fd = try_lock(path);
    if (fd == -1) {
      ++locked_by_others;
      continue;
    }
    if (!can_bind(host, port)) {
      ++bound_by_someone;
      release(fd, path);
      continue;
    }
    locks_.push_back(Lock{port, fd, path});
    remove_on_interrupt(path);
    return port;
  }
  throw std::runtime_error(fmt::format(
      "no free port for {} in {}-{} ({}): this allocator holds {}, other allocators hold {}, "
      "{} are in use by other programs; registry {}",
      host_, range.first, range.last, range.origin, locks_.size(), locked_by_others,
      bound_by_someone, registry_.string()));
}

std::vector<std::uint16_t> PortAllocator::allocate(std::size_t count) {
  std::vector<std::uint16_t> ports;
  ports.reserve(count);
  for (std::size_t i = 0; i < count; ++i) ports.push_back(allocate());
  return ports;
}

std::string PortAllocator::address(std::uint16_t port) const { return fmt::format("{}:{}", host_, port); }

}  // namespace harness
