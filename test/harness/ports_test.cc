// PortAllocator: distinct ports below the ephemeral range, reserved across
// processes until released, never one that someone is listening on.
#include "harness/ports.h"

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "harness/runner.h"
#include "harness/runner_checker.h"
#include "harness/temp_dir.h"
#include "test/harness/process_test_support.h"
#include "fixtures/assertions.h"

namespace {

using harness::PortAllocator;
using autoscale::Passed;
using harness_test::ScopedEnv;
using namespace std::chrono_literals;
using ::testing::HasSubstr;

constexpr const char* kRange = "AUTOSCALE_PORT_RANGE";

TEST(PortAllocatorTest, HandsOutDistinctPorts) {
  PortAllocator ports;
  auto allocated = ports.allocate(200);
  std::set<std::uint16_t> distinct(allocated.begin(), allocated.end());
  EXPECT_EQ(distinct.size(), 200u);
  EXPECT_EQ(ports.held(), 200u);
  EXPECT_EQ(ports.address(allocated.front()), "127.0.0.1:" + std::to_string(allocated.front()));
}

TEST(PortAllocatorTest, PortsAreBelowTheEphemeralRange) {
  unsigned ephemeral_first = 0, ephemeral_last = 0;
  std::ifstream("/proc/sys/net/ipv4/ip_local_port_range") >> ephemeral_first >> ephemeral_last;
  ASSERT_GT(ephemeral_first, 0u);
  PortAllocator ports;
  for (auto port : ports.allocate(50)) {
    SCOPED_TRACE(port);
    EXPECT_LT(port, ephemeral_first);
    EXPECT_GE(port, 1024u);
  }
}

// A port that nobody holds or listens on now: one the default allocator chose.
class PrivateRegistryTest : public ::testing::Test {
 protected:
  PortAllocator shared_;
  std::uint16_t port_ = shared_.allocate();
  std::string only_port_ = std::to_string(port_) + "-" + std::to_string(port_);
  harness::TempDir registry_{"port_registry."};
};

TEST_F(PrivateRegistryTest, ReservationIsReleasedOnDestruction) {
  ScopedEnv range(kRange, only_port_);
  PortAllocator second("127.0.0.1", registry_.path());
  {
    PortAllocator first("127.0.0.1", registry_.path());
    EXPECT_EQ(first.allocate(), port_);
    try {
      (void)second.allocate();
      FAIL() << "the only port is reserved by `first`";
    } catch (const std::runtime_error& e) {
      EXPECT_THAT(e.what(), HasSubstr("no free port"));
      EXPECT_THAT(e.what(), HasSubstr("other allocators hold 1"));
    }
  }
  EXPECT_EQ(second.allocate(), port_);
}

TEST_F(PrivateRegistryTest, LockFilesAreRemovedOnRelease) {
  ScopedEnv range(kRange, only_port_);
  {
    PortAllocator ports("127.0.0.1", registry_.path());
    (void)ports.allocate();
    EXPECT_FALSE(std::filesystem::is_empty(registry_.path()));
  }
  EXPECT_TRUE(std::filesystem::is_empty(registry_.path()));
}

TEST_F(PrivateRegistryTest, NeverHandsOutAPortSomeoneListensOn) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor listener(
      io, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port_));
  ScopedEnv range(kRange, only_port_);
  PortAllocator ports("127.0.0.1", registry_.path());
  try {
    (void)ports.allocate();
    FAIL() << "port " << port_ << " has a listener and must not be handed out";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("1 are in use by other programs"));
  }
  listener.close();
  EXPECT_EQ(ports.allocate(), port_);
}

TEST(PortAllocatorTest, BadRangeOverrideIsAClearError) {
  ScopedEnv range(kRange, "2000-1000");
  PortAllocator ports;
  try {
    (void)ports.allocate();
    FAIL() << "an inverted range should be refused";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("AUTOSCALE_PORT_RANGE='2000-1000'"));
  }
  EXPECT_EQ(ports.held(), 0u);
}

TEST(PortAllocatorTest, BadHostIsAClearError) {
  EXPECT_THROW(PortAllocator("not-an-address"), std::invalid_argument);
}

std::set<std::uint16_t> probe_ports(const harness::Runner& probe) {
  std::set<std::uint16_t> ports;
  std::istringstream lines(probe.output());
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("port ", 0) == 0) ports.insert(static_cast<std::uint16_t>(std::stoul(line.substr(5))));
  }
  return ports;
}

// "FIRST-LAST": `count` ports just above ip_local_port_range.
std::string ports_above_ephemeral_range(int count) {
  std::ifstream range_file("/proc/sys/net/ipv4/ip_local_port_range");
  int low = 32768, high = 60999;
  range_file >> low >> high;
  const int first = std::min(high + 1, 65535 - count + 1);
  return std::to_string(first) + "-" + std::to_string(first + count - 1);
}

TEST(PortAllocatorTest, TwoProcessesAtOnceNeverGetTheSamePort) {
  harness::TempDir dir("port_probe.");
  const auto registry = (dir.path() / "registry").string();
  // Both probes sweep the whole of one small range until it is exhausted, so
  // they are bound to contend for every port in it. The range lies above the
  // kernel's ephemeral range, where neither the OS nor the default allocator
  // of tests running beside this one (ctest -j) hands out ports.
  const std::string range = ports_above_ephemeral_range(300);
  harness::Runner first("probe1", {PORT_PROBE_PATH, registry, range}, dir.path() / "probe1.log");
  harness::Runner second("probe2", {PORT_PROBE_PATH, registry, range}, dir.path() / "probe2.log");
  first.start();
  second.start();
  ASSERT_TRUE(Passed(harness::wait_for_ready(first, "^waiting$", 10s)));
  ASSERT_TRUE(Passed(harness::wait_for_ready(second, "^waiting$", 10s)));
  ::kill(first.pid(), SIGUSR1);
  ::kill(second.pid(), SIGUSR1);
  ASSERT_TRUE(Passed(harness::wait_for_ready(first, "^holding [0-9]+$", 60s)));
  ASSERT_TRUE(Passed(harness::wait_for_ready(second, "^holding [0-9]+$", 60s)));

  auto ports1 = probe_ports(first), ports2 = probe_ports(second);
  std::vector<std::uint16_t> shared;
  std::set_intersection(ports1.begin(), ports1.end(), ports2.begin(), ports2.end(), std::back_inserter(shared));
  EXPECT_TRUE(shared.empty()) << shared.size() << " ports handed to both, first " << shared.front();
  EXPECT_FALSE(ports1.empty());
  EXPECT_FALSE(ports2.empty());
  // Between them they took (nearly) the whole range: both really contended.
  EXPECT_GT(ports1.size() + ports2.size(), 250u) << harness::format_outputs({&first, &second}, 5);

  first.stop();
  second.stop();
  ASSERT_TRUE(first.wait_for(10s));
  ASSERT_TRUE(second.wait_for(10s));
  EXPECT_EQ(first.poll(), 0) << first.tail(5);
  EXPECT_EQ(second.poll(), 0) << second.tail(5);
  EXPECT_TRUE(std::filesystem::is_empty(registry)) << "the probes left lock files behind";
}

}  // namespace
