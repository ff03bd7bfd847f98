// ExternalClient against an in-test server that isolates it: the exact bytes
// of every request, the exact reading of every answer, and its errors.
#include "harness/external_client.h"

#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include <boost/asio.hpp>
#include <boost/endian/conversion.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace harness {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

// What the fake server does with one request.
struct Reply {
  enum class Kind { kAnswer, kSilent, kClose } kind = Kind::kSilent;
  std::string bytes;
  static Reply Answer(std::string bytes) { return {Kind::kAnswer, std::move(bytes)}; }
  static Reply Silent() { return {}; }
  static Reply Close() { return {Kind::kClose, {}}; }
};

// A frame as the contract spells it, written out by hand in the tests below
// where the bytes themselves are what is checked.
std::string frame(std::uint16_t type, const std::string& payload) {
  std::string out(6, '\0');
  auto* p = reinterpret_cast<unsigned char*>(out.data());
  boost::endian::store_big_u32(p, static_cast<std::uint32_t>(payload.size() + 2));
  boost::endian::store_big_u16(p + 4, type);
  return out + payload;
}

// Loopback server on its own thread: reads u32 L | u16 type | payload frames,
// keeps their raw bytes and replies as the test's responder says.
class FakeExternalServer {
 public:
  using Responder = std::function<Reply(std::uint16_t type, const std::string& payload)>;

  explicit FakeExternalServer(Responder responder, bool listen_now = true)
      : responder_(std::move(responder)), acceptor_(io_) {
    acceptor_.open(tcp::v4());
    acceptor_.bind({asio::ip::make_address("127.0.0.1"), 0});
    port_ = acceptor_.local_endpoint().port();
    if (listen_now) listen();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~FakeExternalServer() {
    asio::post(io_, [this] {
      boost::system::error_code ignored;
      acceptor_.close(ignored);
      for (auto& socket : sockets_) socket->close(ignored);
    });
    work_.reset();
    thread_.join();
  }

  std::uint16_t port() const { return port_; }
  // Starts accepting (until then connections are refused).
  void listen() {
    asio::post(io_, [this] {
      acceptor_.listen();
      accept();
    });
  }

  std::vector<std::string> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  std::size_t connections() const {
    std::lock_guard lock(mutex_);
    return connections_;
  }
  // Event-driven: woken by every request read.
  bool wait_for_requests(std::size_t count, std::chrono::milliseconds timeout) const {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return requests_.size() >= count; });
  }

 private:
  void accept() {
    acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
      if (ec) return;
      {
        std::lock_guard lock(mutex_);
        ++connections_;
      }
      sockets_.push_back(std::make_shared<tcp::socket>(std::move(socket)));
      read(sockets_.back());
      accept();
    });
  }

  void read(std::shared_ptr<tcp::socket> socket) {
    auto header = std::make_shared<std::array<unsigned char, 6>>();
    asio::async_read(*socket, asio::buffer(*header), [this, socket, header](boost::system::error_code ec, std::size_t) {
      if (ec) return;
      const std::uint32_t length = boost::endian::load_big_u32(header->data());
      const std::uint16_t type = boost::endian::load_big_u16(header->data() + 4);
      auto payload = std::make_shared<std::string>(length - 2, '\0');
      asio::async_read(*socket, asio::buffer(*payload), [this, socket, header, type, payload](boost::system::error_code ec, std::size_t) {
        if (ec) return;
        {
          std::lock_guard lock(mutex_);
          requests_.push_back(std::string(reinterpret_cast<const char*>(header->data()), 6) + *payload);
        }
        changed_.notify_all();
        Reply reply = responder_(type, *payload);
        if (reply.kind == Reply::Kind::kClose) {
          socket->close();
          return;
        }
        if (reply.kind == Reply::Kind::kSilent) {
          read(socket);
          return;
        }
        auto bytes = std::make_shared<std::string>(std::move(reply.bytes));
        asio::async_write(*socket, asio::buffer(*bytes), [this, socket, bytes](boost::system::error_code ec, std::size_t) {
          if (!ec) read(socket);
        });
      });
    });
  }

  Responder responder_;
  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_{io_.get_executor()};
  tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::vector<std::shared_ptr<tcp::socket>> sockets_;  // I/O thread only
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::vector<std::string> requests_;
  std::size_t connections_ = 0;
  std::thread thread_;
};

// Answers every query with a well-formed answer of the right type.
Reply contract_answers(std::uint16_t type, const std::string& payload) {
  switch (type) {
    case 9:
      return Reply::Answer(frame(10, R"({"worker_count":2,"worker_names":["initializer","worker1"],"processing_messages":true})"));
    case 7:
      return Reply::Answer(frame(8, R"({"state_partitions":{"letter-state":{"initializer":["aa","ab"],"worker1":["zz"],"worker2":[]}},"stateless_partitions":{}})"));
    case 12:
      return Reply::Answer(frame(13, R"({"state_partitions":{"letter-state":{"initializer":339,"worker1":338}},"stateless_partitions":{"s":{"initializer":1}}})"));
    case 14:
      return Reply::Answer(frame(15, R"({"source_ids":["17","42"]})"));
    case 4:
      if (payload.find(R"("query":true)") != std::string::npos)
        return Reply::Answer(frame(5, R"({"node_names":["worker1","worker2"],"node_count":2})"));
      return Reply::Answer(frame(6, "Shrinking by 2 workers!"));
    default:
      return Reply::Silent();  // print, rotate log, clean shutdown: no answer
  }
}

struct Served {
  FakeExternalServer server;
  ExternalClient client;
  explicit Served(FakeExternalServer::Responder responder, std::chrono::milliseconds reply_deadline = 5s)
      : server(std::move(responder)), client("127.0.0.1", server.port(), 5s, reply_deadline) {}
};

TEST(ExternalClientTest, EveryRequestIsSentByteForByte) {
  Served served(contract_answers);
  ExternalClient& client = served.client;
  (void)client.cluster_status();
  (void)client.partitions();
  (void)client.partition_counts();
  (void)client.source_ids();
  (void)client.shrink_query();
  (void)client.shrink_by_names({"worker3", "worker2"});
  (void)client.shrink_by_count(2);
  client.print("hello");
  client.rotate_log("worker1");
  client.clean_shutdown("bye");
  ASSERT_TRUE(served.server.wait_for_requests(10, 10s)) << "the server got " << served.server.requests().size();
  using std::string_literals::operator""s;
  EXPECT_THAT(served.server.requests(),
              ElementsAre("\0\0\0\x02\0\x09"s, "\0\0\0\x02\0\x07"s, "\0\0\0\x02\0\x0c"s, "\0\0\0\x02\0\x0e"s,
                          "\0\0\0\x2f\0\x04"s + R"({"query":true,"node_names":[],"node_count":0})",
                          "\0\0\0\x43\0\x04"s + R"({"query":false,"node_names":["worker3","worker2"],"node_count":2})",
                          "\0\0\0\x30\0\x04"s + R"({"query":false,"node_names":[],"node_count":2})",
                          "\0\0\0\x07\0\x01hello"s, "\0\0\0\x09\0\x02worker1"s, "\0\0\0\x05\0\x03"s + "bye"));
  EXPECT_EQ(served.server.connections(), 1u) << "one connection carries every request";
}

TEST(ExternalClientTest, AnswersAreParsedIntoTypedResults) {
  Served served(contract_answers);
  ExternalClient& client = served.client;

  const ClusterStatus status = client.cluster_status();
  EXPECT_TRUE(status.initialized);
  EXPECT_TRUE(status.processing_messages);
  EXPECT_EQ(status.worker_count, 2);
  EXPECT_THAT(status.worker_names, ElementsAre("initializer", "worker1"));
  EXPECT_THAT(status.raw, HasSubstr("worker_names"));

  const PartitionMap map = client.partitions();
  EXPECT_THAT(map.state_partitions.at("letter-state").at("initializer"), ElementsAre("aa", "ab"));
  EXPECT_TRUE(map.stateless_partitions.empty());
  EXPECT_EQ(map.workers_with_partitions(), (std::set<std::string>{"initializer", "worker1"}));
  EXPECT_EQ(map.workers_listed(), (std::set<std::string>{"initializer", "worker1", "worker2"}));
  EXPECT_EQ(map.owners("letter-state"),
            (std::map<std::string, std::string>{{"aa", "initializer"}, {"ab", "initializer"}, {"zz", "worker1"}}));
  EXPECT_TRUE(map.owners("no-such-step").empty());

  const PartitionCounts counts = client.partition_counts();
  EXPECT_EQ(counts.state_partitions.at("letter-state").at("worker1"), 338);
  EXPECT_EQ(counts.stateless_partitions.at("s").at("initializer"), 1);

  EXPECT_THAT(client.source_ids(), ElementsAre("17", "42"));
  const ShrinkQueryResult query = client.shrink_query();
  EXPECT_THAT(query.node_names, ElementsAre("worker1", "worker2"));
  EXPECT_EQ(query.node_count, 2);
  const ShrinkReply reply = client.shrink_by_count(2);
  EXPECT_EQ(reply.text, "Shrinking by 2 workers!");
  EXPECT_TRUE(reply.accepted());
  EXPECT_FALSE(ShrinkReply{"Invalid shrink targets!"}.accepted());
}

TEST(ExternalClientTest, NotInitializedAnswerReadsAsNotProcessing) {
  Served served([](std::uint16_t, const std::string&) { return Reply::Answer(frame(11, "")); });
  const ClusterStatus status = served.client.cluster_status();
  EXPECT_FALSE(status.initialized);
  EXPECT_FALSE(status.processing_messages);
  EXPECT_EQ(status.worker_count, 0);
  EXPECT_TRUE(status.raw.empty());
}

TEST(ExternalClientTest, MalformedJsonIsAnErrorNamingRequestTypeAndPayload) {
  std::string answer;
  Served served([&](std::uint16_t, const std::string&) { return Reply::Answer(frame(10, answer)); });
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"{not json", "not valid JSON"},
      {R"({"worker_count":1,"worker_names":["initializer"]})", "field 'processing_messages' is missing"},
      {R"({"worker_count":"1","worker_names":[],"processing_messages":true})", "field 'worker_count' is not an integer"},
      {R"({"worker_count":1,"worker_names":[3],"processing_messages":true})", "field 'worker_names' holds a non-string"},
      {R"([1,2])", "not an object"},
  };
  for (const auto& [payload, why] : cases) {
    SCOPED_TRACE(payload);
    answer = payload;
    try {
      (void)served.client.cluster_status();
      ADD_FAILURE() << "a malformed answer was accepted";
    } catch (const ExternalError& e) {
      EXPECT_THAT(e.what(), HasSubstr(why));
      EXPECT_THAT(e.what(), HasSubstr("to ClusterStatusQuery (type 9)"));
      EXPECT_THAT(e.what(), HasSubstr("ClusterStatusQueryResponse (type 10) with payload"));
    }
  }
  // The connection stays usable: a well-formed answer after the bad ones.
  answer = R"({"worker_count":1,"worker_names":["initializer"],"processing_messages":false})";
  EXPECT_EQ(served.client.cluster_status().worker_count, 1);
  EXPECT_EQ(served.server.connections(), 1u);
}

TEST(ExternalClientTest, AnswerOfTheWrongTypeIsAnError) {
  Served served([](std::uint16_t, const std::string&) { return Reply::Answer(frame(6, "Invalid shrink targets!")); });
  try {
    (void)served.client.partitions();
    FAIL() << "a type 6 answer to a partition query was accepted";
  } catch (const ExternalError& e) {
    EXPECT_THAT(e.what(), HasSubstr("answer from " + served.client.address() + " to PartitionQuery (type 7) has the wrong type"));
    EXPECT_THAT(e.what(), HasSubstr("expected PartitionQueryResponse (type 8), got ShrinkErrorResponse (type 6)"));
    EXPECT_THAT(e.what(), HasSubstr(R"(payload "Invalid shrink targets!")"));
  }
  EXPECT_THROW((void)served.client.shrink_query(), ExternalError);
}

TEST(ExternalClientTest, LongBadPayloadIsQuotedTruncated) {
  Served served([](std::uint16_t, const std::string&) { return Reply::Answer(frame(15, std::string(5000, 'x'))); });
  try {
    (void)served.client.source_ids();
    FAIL() << "bad JSON was accepted";
  } catch (const ExternalError& e) {
    EXPECT_THAT(e.what(), HasSubstr("(5000 bytes in all)"));
    EXPECT_LT(std::string(e.what()).size(), 1000u);
  }
}

TEST(ExternalClientTest, ReplyTimeoutNamesTheRequestAndTheNextCallReconnects) {
  std::atomic<int> calls{0};
  Served served(
      [&](std::uint16_t type, const std::string& payload) {
        return ++calls == 1 ? Reply::Silent() : contract_answers(type, payload);
      },
      200ms);
  const auto start = std::chrono::steady_clock::now();
  try {
    (void)served.client.cluster_status();
    FAIL() << "no answer came, yet the call returned";
  } catch (const ExternalError& e) {
    EXPECT_EQ(std::string(e.what()),
              "no answer to ClusterStatusQuery (type 9) from " + served.client.address() + " within 200 ms");
  }
  EXPECT_GE(std::chrono::steady_clock::now() - start, 200ms);
  EXPECT_TRUE(served.client.cluster_status().processing_messages);
  EXPECT_EQ(served.server.connections(), 2u) << "the timed-out connection was reused";
}

TEST(ExternalClientTest, ClosedConnectionWhileAwaitingIsAnErrorAndRecovered) {
  std::atomic<int> calls{0};
  Served served([&](std::uint16_t type, const std::string& payload) {
    return ++calls == 1 ? Reply::Close() : contract_answers(type, payload);
  });
  try {
    (void)served.client.source_ids();
    FAIL() << "a closed connection gave an answer";
  } catch (const ExternalError& e) {
    EXPECT_THAT(e.what(), HasSubstr("closed the connection while the answer to SourceIdsQuery (type 14) was awaited"));
  }
  EXPECT_THAT(served.client.source_ids(), ElementsAre("17", "42"));
}

TEST(ExternalClientTest, InvalidLengthHeaderInAnAnswerIsAnError) {
  using std::string_literals::operator""s;
  Served served([](std::uint16_t, const std::string&) { return Reply::Answer("\0\0\0\x01\0\x0a"s); });
  try {
    (void)served.client.cluster_status();
    FAIL() << "an answer with L < 2 was accepted";
  } catch (const ExternalError& e) {
    EXPECT_THAT(e.what(), HasSubstr("invalid length header 1"));
  }
}

TEST(ExternalClientTest, RefusedConnectionFailsAtTheDeadlineNamingTheAddress) {
  FakeExternalServer server(contract_answers, /*listen_now=*/false);  // bound, not listening: refuses
  ExternalClient client("127.0.0.1", server.port(), /*connect_deadline=*/300ms, 1s);
  const auto start = std::chrono::steady_clock::now();
  try {
    (void)client.cluster_status();
    FAIL() << "connected to a port that refuses";
  } catch (const ExternalError& e) {
    EXPECT_THAT(e.what(), HasSubstr("could not connect to the external channel at " + client.address() + " within 300 ms"));
    EXPECT_THAT(e.what(), HasSubstr("refused"));
  }
  EXPECT_GE(std::chrono::steady_clock::now() - start, 300ms) << "a refused connection was not retried";
}

TEST(ExternalClientTest, RefusedConnectionIsRetriedUntilTheServerListens) {
  FakeExternalServer server(contract_answers, /*listen_now=*/false);
  ExternalClient client("127.0.0.1", server.port(), /*connect_deadline=*/10s, 5s);
  auto status = std::async(std::launch::async, [&] { return client.cluster_status(); });
  // The stimulus: a cluster that starts listening a little later. Whatever
  // the timing, the call must succeed within its 10 s connect deadline.
  EXPECT_EQ(status.wait_for(200ms), std::future_status::timeout) << "answered before the server listened";
  server.listen();
  EXPECT_TRUE(status.get().processing_messages);
}

}  // namespace
}  // namespace harness
