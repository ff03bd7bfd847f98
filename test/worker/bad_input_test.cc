// Bad input never crashes a worker and loses nothing else: bad source frames,
// an oversized length header, garbage on the external channel, unknown
// request types, bad shrink JSON, a bad command line, a port in use, and a
// stray client's bytes on the internal control and data ports.
#include <algorithm>

#include <boost/endian/conversion.hpp>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "harness/alphabet.h"
#include "harness/deadline_socket.h"
#include "harness/external_client.h"
#include "harness/reader.h"
#include "harness/sender.h"
#include "harness/sink_await.h"
#include "worker_cluster_test.h"

namespace alphabet_test {
namespace {

using harness::alphabet::encode_total;
using harness::alphabet::encode_vote;

class BadInputTest : public WorkerClusterTest {
 protected:
  void SetUp() override {
    StartCluster(2);
    ASSERT_TRUE(AwaitMembers(cluster().member_names()));
  }
  // Sends these payloads, each in its own u32 frame, on one new source connection.
  ::testing::AssertionResult SendFrames(std::vector<std::string> payloads) {
    harness::Reader reader(harness::items_source(std::move(payloads), [](const std::string& p) { return p; },
                                                 /*cycle=*/false));
    harness::Sender sender(ports_.host(), SourcePort(), reader, harness::SenderPace{100, 0ms});
    sender.start();
    return Passed(sender.join(10s));
  }
  ::testing::AssertionResult SinkGets(std::vector<std::string> totals) {
    harness::SinkAwaitValue await(sink_, std::move(totals), 10s, harness::alphabet::describe_total);
    return Passed(await.wait());
  }
  ::testing::AssertionResult StillServing() {
    if (auto members = AwaitMembers(cluster().member_names(), 5s); !members) return members;
    return ::testing::AssertionSuccess();
  }
};

TEST_F(BadInputTest, FramesOfTheWrongLengthAreDroppedAndTheConnectionStays) {
  const std::size_t from = cluster().initializer().tell();
  ASSERT_TRUE(SendFrames({encode_vote("aa", 1), std::string("ab\0\0\x01", 5), encode_vote("ab", 1),
                          encode_vote("ac", 1) + "x", std::string(), encode_vote("ac", 1)}));
  // The good records around the bad ones, on the same connection, are all applied once.
  EXPECT_TRUE(SinkGets({encode_total("aa", 1), encode_total("ab", 1), encode_total("ac", 1)}));
  EXPECT_TRUE(AwaitLines(cluster().initializer(),
                         {"WARNING: .*frame of length 5", "WARNING: .*frame of length 7", "WARNING: .*frame of length 0"},
                         from));
  EXPECT_EQ(sink_.record_count(), 3u) << "only the three good records produce totals";
  EXPECT_TRUE(StillServing());
}

TEST_F(BadInputTest, UnknownKeysAreDroppedAndTheConnectionStays) {
  const std::size_t from = cluster().initializer().tell();
  ASSERT_TRUE(SendFrames({encode_vote("A1", 1), encode_vote("zz", 1), encode_vote("?!", 3), encode_vote("!!", 2)}));
  EXPECT_TRUE(SinkGets({encode_total("zz", 1), encode_total("!!", 2)}));
  EXPECT_TRUE(AwaitLines(cluster().initializer(), {"WARNING: .*unknown key 'A1'", R"(WARNING: .*unknown key '\?!')"}, from));
  EXPECT_EQ(sink_.record_count(), 2u);
  EXPECT_TRUE(StillServing());
}

TEST_F(BadInputTest, AnOversizedLengthHeaderClosesOnlyThatConnection) {
  const std::size_t from = cluster().initializer().tell();
  // A second source connection, open before and after the bad one.
  StartTraffic();
  ASSERT_TRUE(AwaitTraffic());
  {
    harness::Reader reader(harness::items_source({std::string((1 << 20) + 1, 'a')},
                                                 [](const std::string& p) { return p; }, /*cycle=*/false));
    harness::Sender oversized(ports_.host(), SourcePort(), reader, harness::SenderPace{1, 0ms});
    oversized.start();
    (void)oversized.join(10s);  // the worker may close the connection before the write ends
  }
  EXPECT_TRUE(AwaitLines(cluster().initializer(), {"ERROR: .*length header 1048577 is over the 1 MiB limit"}, from));
  EXPECT_TRUE(StillServing());
  EXPECT_TRUE(AwaitTraffic()) << "the other source connection keeps flowing";
  EXPECT_TRUE(StopTrafficAndCheckExactlyOnce()) << "the other source connection lost nothing";
}

TEST_F(BadInputTest, AnExternalFrameShorterThanItsTypeClosesThatConnectionOnly) {
  const std::size_t from = cluster().initializer().tell();
  harness::ExternalClient garbage(ports_.host(), PortOf(cluster().external_address()), 2s, 2s);
  garbage.send_raw(std::string("\0\0\0\x01\x07", 5));  // L = 1: no room for the u16 type
  EXPECT_THROW(garbage.read_frame(), harness::ExternalError) << "the worker closes the connection, answering nothing";
  EXPECT_TRUE(AwaitLines(cluster().initializer(), {"ERROR: .*frame length 1 is below 2"}, from));
  // Other connections, and a new one from the same client, are served.
  EXPECT_TRUE(cluster().external().cluster_status().processing_messages);
  garbage.disconnect();
  EXPECT_TRUE(garbage.cluster_status().initialized);
  EXPECT_TRUE(StillServing());
}

TEST_F(BadInputTest, UnknownExternalTypesGetNoAnswerAndTheConnectionStays) {
  const std::size_t from = cluster().initializer().tell();
  harness::ExternalClient& client = cluster().external();
  client.send_frame(99, "what is this");
  client.send_frame(static_cast<std::uint16_t>(harness::ExternalType::kClusterStatusQueryResponse), "{}");
  // Had either been answered, this query would read that answer instead of its own.
  const harness::ClusterStatus status = client.cluster_status();
  EXPECT_TRUE(status.initialized);
  EXPECT_EQ(status.worker_count, static_cast<int>(cluster().member_names().size())) << status.raw;
  EXPECT_TRUE(AwaitLines(cluster().initializer(), {"ERROR: .*unknown request type 99", "ERROR: .*unknown request type 10"}, from));
}

TEST_F(BadInputTest, BadShrinkRequestsGetAnErrorAnswerAndChangeNothing) {
  harness::ExternalClient& client = cluster().external();
  const auto shrink = static_cast<std::uint16_t>(harness::ExternalType::kShrinkRequest);
  for (const std::string payload :
       {"not json", "[1, 2]", R"({"query": false})", R"({"query": false, "node_names": ["worker1"]})",
        R"({"query": "no", "node_names": [], "node_count": 1})", R"({"query": false, "node_names": [1], "node_count": 1})",
        R"({"query": false, "node_names": [], "node_count": "1"})"}) {
    SCOPED_TRACE(payload);
    const harness::ExternalFrame answer = client.request(shrink, payload);
    EXPECT_EQ(answer.type, static_cast<std::uint16_t>(harness::ExternalType::kShrinkErrorResponse));
    EXPECT_FALSE(answer.payload.empty());
    EXPECT_NE(answer.payload.rfind("Shrinking by", 0), 0u) << answer.payload;
  }
  EXPECT_TRUE(StillServing());
}

// What a stray client may send to a port of the workers' internal protocol.
struct Garbage {
  std::string what;
  std::string bytes;
  std::string warning;  // what the worker's warning must say (a regular expression)
};

std::string LengthPrefixed(std::uint32_t length, std::string_view rest) {
  std::string bytes(4, '\0');
  boost::endian::store_big_u32(reinterpret_cast<unsigned char*>(bytes.data()), length);
  return bytes.append(rest);
}

std::vector<Garbage> InternalPortGarbage() {
  const std::string http = "GET / HTTP/1.1\r\nHost: worker\r\n\r\n";  // 'GET ' read as a length
  return {{"an HTTP request", http,
           fmt::format("length header {}", boost::endian::load_big_u32(reinterpret_cast<const unsigned char*>(http.data())))},
          {"a frame of protocol version 99", LengthPrefixed(4, std::string("\x63\x0a{}", 4)), "protocol version 99"},
          {"an oversized length header", LengthPrefixed(0x7fffffff, "xxxx"), "length header 2147483647"},
          {"a frame too short for its header", LengthPrefixed(1, "\x01"), "shorter than its 2-byte header"}};
}

// The value that follows `flag` on a runner's command line.
std::string ArgumentOf(const harness::Runner& runner, const std::string& flag) {
  const auto& argv = runner.argv();
  const auto it = std::find(argv.begin(), argv.end(), flag);
  return it == argv.end() || std::next(it) == argv.end() ? std::string() : *std::next(it);
}

// Connects to `address`, sends `bytes`, and waits until the worker closes that connection.
::testing::AssertionResult ClosedAfterSending(const std::string& address, const std::string& bytes) {
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  const harness::Address target = harness::parse_address(address);
  harness::DeadlineSocket socket;
  if (const auto ec = socket.connect(target.host, target.port, deadline))
    return ::testing::AssertionFailure() << "cannot connect to " << address << ": " << ec.message();
  if (const auto ec = socket.write(bytes, deadline))
    return ::testing::AssertionFailure() << "cannot send to " << address << ": " << ec.message();
  char byte = 0;
  const auto ec = socket.read(&byte, 1, deadline);
  if (!ec) return ::testing::AssertionFailure() << address << " answered a byte instead of closing the connection";
  if (ec == boost::system::errc::timed_out)
    return ::testing::AssertionFailure() << address << " kept the connection open 5 s after the garbage";
  return ::testing::AssertionSuccess() << "closed: " << ec.message();
}

TEST_F(BadInputTest, GarbageOnAnInternalPortIsNamedInAWarningAndClosesOnlyThatConnection) {
  StartTraffic();
  ASSERT_TRUE(AwaitTraffic());
  harness::Runner& initializer = cluster().initializer();
  harness::Runner& worker = *cluster().runners().at(1);
  const std::vector<std::pair<harness::Runner*, std::string>> ports = {
      {&initializer, "--control"}, {&initializer, "--data"}, {&worker, "--my-control"}, {&worker, "--my-data"}};
  for (const auto& [runner, flag] : ports) {
    const std::string address = ArgumentOf(*runner, flag);
    ASSERT_FALSE(address.empty()) << runner->name() << " has no " << flag;
    for (const Garbage& garbage : InternalPortGarbage()) {
      SCOPED_TRACE(fmt::format("{} sent to {} {} {}", garbage.what, runner->name(), flag, address));
      const std::size_t from = runner->tell();
      EXPECT_TRUE(ClosedAfterSending(address, garbage.bytes));
      EXPECT_TRUE(AwaitLines(*runner, {"^WARNING: .*" + Literal(address) + ".*" + garbage.warning}, from, 5s));
    }
  }
  EXPECT_TRUE(StillServing());
  EXPECT_TRUE(AwaitTraffic()) << "records keep flowing";
  EXPECT_TRUE(StopTrafficAndCheckExactlyOnce()) << "the garbage lost no record";
}

class CommandLineTest : public WorkerClusterTest {
 protected:
  ::testing::AssertionResult FailsNaming(std::vector<std::string> argv, const std::string& named) {
    harness::Runner& worker = LaunchExtra(fmt::format("bad{}", ++launched_), std::move(argv));
    if (!worker.wait_for(5s)) return ::testing::AssertionFailure() << "still running 5 s after a bad start";
    const auto status = worker.poll();
    const std::string output = worker.output();
    if (!status || *status <= 0)
      return ::testing::AssertionFailure() << worker.describe_status() << ", expected a non-zero exit; output:\n" << output;
    if (output.find(named) == std::string::npos)
      return ::testing::AssertionFailure() << "the error does not name '" << named << "':\n" << output;
    if (std::count(output.begin(), output.end(), '\n') > 3)
      return ::testing::AssertionFailure() << "expected a short error, got:\n" << output;
    return ::testing::AssertionSuccess() << worker.describe_status() << ": " << output;
  }
  int launched_ = 0;
};

TEST_F(CommandLineTest, ABadCommandLineExitsAtOnceNamingTheFlag) {
  const std::vector<std::string> good_tail = {"--my-control", "127.0.0.1:1", "--my-data", "127.0.0.1:2",
                                              "--control", "127.0.0.1:3"};
  auto with = [&](std::vector<std::string> head) {
    head.insert(head.end(), good_tail.begin(), good_tail.end());
    return head;
  };
  EXPECT_TRUE(FailsNaming(with({"--name", "w", "--bogus-flag"}), "--bogus-flag"));
  EXPECT_TRUE(FailsNaming(with({"--name", "w", "--out", "no-port-here"}), "--out"));
  EXPECT_TRUE(FailsNaming(with({"--name", "w", "--metrics", "127.0.0.1:99999"}), "--metrics"));
  EXPECT_TRUE(FailsNaming({"--name", "w", "--my-control", "127.0.0.1:1", "--my-data", "127.0.0.1:2", "--control"},
                          "control"));
  EXPECT_TRUE(FailsNaming({"--my-control", "127.0.0.1:1", "--my-data", "127.0.0.1:2", "--control", "127.0.0.1:3"},
                          "--name"));
}

TEST_F(CommandLineTest, APortInUseExitsNamingTheAddress) {
  StartCluster(1);
  ASSERT_TRUE(AwaitMembers({"initializer"}));
  const auto ports = ports_.allocate(3);
  // A second initializer whose external address is the running one's.
  EXPECT_TRUE(FailsNaming({"--in", ports_.address(ports[0]), "--name", "second", "--cluster-initializer",
                           "--worker-count", "1", "--control", ports_.address(ports[1]), "--data",
                           ports_.address(ports[2]), "--external", cluster().external_address()},
                          cluster().external_address()));
  EXPECT_TRUE(AwaitMembers({"initializer"}, 5s)) << "the running cluster is undisturbed";
}

}  // namespace
}  // namespace alphabet_test
