// Sender -> Sink over real loopback TCP: nothing lost, nothing reordered,
// counts that match, and errors that are kept.
#include <chrono>
#include <map>
#include <set>

#include <boost/asio.hpp>
#include <boost/endian/conversion.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "harness/alphabet.h"
#include "harness/reader.h"
#include "harness/sender.h"
#include "harness/sink_await.h"
#include "harness/tcp_receiver.h"
#include "fixtures/assertions.h"

namespace harness {
namespace {

using autoscale::Passed;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

std::uint64_t as_u64(const std::string& payload) {
  EXPECT_EQ(payload.size(), 8u);
  return boost::endian::load_big_u64(reinterpret_cast<const unsigned char*>(payload.data()));
}

TEST(SenderSinkTest, MillionRecordsArriveCompleteAndInOrder) {
  constexpr std::uint64_t kRecords = 1'000'000;
  Sink sink;
  sink.start();
  Reader reader(u64_sequence_source(0, kRecords));
  Sender sender(sink.host(), sink.port(), reader, SenderPace{.batch_size = 5000, .interval = 0ms});
  sender.start();
  ASSERT_TRUE(Passed(sender.join(60s)));
  EXPECT_EQ(sender.records_sent(), kRecords);
  EXPECT_EQ(sender.bytes_sent(), kRecords * 12);
  ASSERT_TRUE(Passed(SinkExpect(sink, kRecords, 30s).wait()));

  const std::vector<ReceivedRecord> records = sink.snapshot();
  ASSERT_EQ(records.size(), kRecords) << "more records arrived than were sent";
  EXPECT_EQ(sink.bytes_received(), sender.bytes_sent());
  EXPECT_EQ(sink.connections_accepted(), 1u);
  for (std::uint64_t i = 0; i < kRecords; ++i) {
    if (records[i].connection != 0 || as_u64(records[i].payload) != i) {
      FAIL() << "record " << i << " is value " << as_u64(records[i].payload) << " on connection "
             << records[i].connection;
    }
  }
  EXPECT_TRUE(sink.errors().empty());
}

TEST(SenderSinkTest, ConcurrentSendersStayApartPerConnection) {
  constexpr int kSenders = 4;
  constexpr std::uint64_t kEach = 20'000;
  Sink sink;
  sink.start();
  std::vector<std::unique_ptr<Reader>> readers;
  std::vector<std::unique_ptr<Sender>> senders;
  for (int s = 0; s < kSenders; ++s) {
    readers.push_back(std::make_unique<Reader>(u64_sequence_source(s * 1'000'000'000ull, kEach)));
    senders.push_back(std::make_unique<Sender>(sink.host(), sink.port(), *readers.back(),
                                               SenderPace{.batch_size = 100, .interval = 0ms}));
  }
  for (auto& sender : senders) sender->start();
  for (auto& sender : senders) ASSERT_TRUE(Passed(sender->join(30s)));
  ASSERT_TRUE(Passed(SinkExpect(sink, kSenders * kEach, 30s).wait()));

  std::map<std::size_t, std::vector<std::uint64_t>> by_connection;
  for (const ReceivedRecord& record : sink.snapshot()) by_connection[record.connection].push_back(as_u64(record.payload));
  ASSERT_EQ(by_connection.size(), static_cast<std::size_t>(kSenders));
  std::set<std::uint64_t> firsts;
  for (const auto& [connection, values] : by_connection) {
    SCOPED_TRACE("connection " + std::to_string(connection));
    ASSERT_EQ(values.size(), kEach);
    firsts.insert(values.front());
    for (std::uint64_t i = 0; i < kEach; ++i) ASSERT_EQ(values[i], values.front() + i) << "at position " << i;
  }
  EXPECT_EQ(firsts, (std::set<std::uint64_t>{0, 1'000'000'000, 2'000'000'000, 3'000'000'000}));
}

TEST(SenderSinkTest, OnSentCountsEqualWhatTheSinkGot) {
  Sink sink;
  sink.start();
  std::map<std::string, int> sent_per_key;  // touched by the sender thread only until join
  Reader reader(items_source(alphabet::letter_keys(), [](const std::string& key) { return alphabet::encode_vote(key, 1); },
                             /*cycle=*/true),
                [&](const std::string& payload) { ++sent_per_key[alphabet::decode_vote(payload)->key]; });
  Sender sender(sink.host(), sink.port(), reader, SenderPace{.batch_size = 37, .interval = 1ms});
  sender.start();
  ASSERT_TRUE(Passed(SinkExpect(sink, 2000, 30s).wait()));
  sender.stop();
  ASSERT_TRUE(Passed(sender.join(10s)));
  ASSERT_TRUE(Passed(SinkExpect(sink, sender.records_sent(), 10s).wait()));

  std::map<std::string, int> received_per_key;
  for (const ReceivedRecord& record : sink.snapshot()) ++received_per_key[alphabet::decode_vote(record.payload)->key];
  EXPECT_EQ(sink.record_count(), sender.records_sent());
  EXPECT_EQ(received_per_key, sent_per_key);
  EXPECT_EQ(sender.records_sent() % 37, 0u) << "only whole batches are sent";
}

TEST(SenderSinkTest, StopFlushesTheLastBatchWithoutWaitingOutTheInterval) {
  Sink sink;
  sink.start();
  Reader reader(u64_sequence_source(0, 1'000'000));
  Sender sender(sink.host(), sink.port(), reader, SenderPace{.batch_size = 50, .interval = 60s});
  sender.start();
  ASSERT_TRUE(Passed(SinkExpect(sink, 50, 10s).wait()));
  const auto stop_at = std::chrono::steady_clock::now();
  sender.stop();
  ASSERT_TRUE(Passed(sender.join(10s)));
  EXPECT_LT(std::chrono::steady_clock::now() - stop_at, 5s) << "stop() waited out the 60 s pacing interval";
  EXPECT_EQ(sender.records_sent(), 50u);
  EXPECT_FALSE(sender.running());
  ASSERT_TRUE(Passed(SinkExpect(sink, 50, 10s).wait()));
  EXPECT_EQ(sink.record_count(), 50u);
}

// A port that refuses connections for the whole test: bound, never listening.
class RefusingPort {
 public:
  RefusingPort() : acceptor_(io_) {
    acceptor_.open(boost::asio::ip::tcp::v4());
    acceptor_.bind({boost::asio::ip::make_address("127.0.0.1"), 0});
  }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

 private:
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
};

TEST(SenderSinkTest, ErrorIsKeptWhenNothingListens) {
  RefusingPort refusing;
  Reader reader(u64_sequence_source(0, 10));
  Sender sender("127.0.0.1", refusing.port(), reader, {}, /*reconnect=*/false, /*connect_timeout=*/300ms);
  const auto start = std::chrono::steady_clock::now();
  sender.start();
  const WaitResult result = sender.join(10s);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 300ms) << "refused connections were not retried";
  ASSERT_FALSE(result.ok());
  const std::string address = "127.0.0.1:" + std::to_string(refusing.port());
  EXPECT_THAT(result.message(), HasSubstr("could not connect to " + address + " within 300 ms"));
  EXPECT_THAT(result.message(), HasSubstr("refused"));
  ASSERT_TRUE(sender.error().has_value());
  EXPECT_THAT(*sender.error(), HasSubstr(address));
  EXPECT_EQ(sender.records_sent(), 0u);
}

TEST(SenderSinkTest, BrokenConnectionIsAnErrorWithoutReconnect) {
  auto sink = std::make_unique<Sink>();
  sink->start();
  const std::uint16_t port = sink->port();
  Reader reader(u64_sequence_source(0, 100'000'000));
  Sender sender(sink->host(), port, reader, SenderPace{.batch_size = 10, .interval = 1ms}, /*reconnect=*/false);
  sender.start();
  ASSERT_TRUE(Passed(SinkExpect(*sink, 100, 10s).wait()));
  sink->stop();
  const WaitResult result = sender.join(10s);
  ASSERT_FALSE(result.ok()) << "the sender went on after its connection broke";
  EXPECT_THAT(result.message(), HasSubstr("writing a batch of 10 records to 127.0.0.1:" + std::to_string(port) + " failed"));
}

TEST(SenderSinkTest, ReconnectResumesOnANewListenerOnTheSamePort) {
  auto first = std::make_unique<Sink>();
  first->start();
  const std::uint16_t port = first->port();
  Reader reader(u64_sequence_source(0, 100'000'000));
  Sender sender(first->host(), port, reader, SenderPace{.batch_size = 10, .interval = 1ms}, /*reconnect=*/true, 10s);
  sender.start();
  ASSERT_TRUE(Passed(SinkExpect(*first, 100, 10s).wait()));
  first->stop();
  const std::uint64_t last_on_first = as_u64(first->snapshot().back().payload);

  Sink second(Framing::kLengthPrefixed, "127.0.0.1", port);
  second.start();
  ASSERT_TRUE(Passed(SinkExpect(second, 100, 10s).wait()));
  sender.stop();
  ASSERT_TRUE(Passed(sender.join(10s)));
  // The second listener continues the sequence: it starts after what the
  // first one got (records written into the dying connection are lost, so
  // there may be a gap, but never a step back beyond the resent batch).
  const auto records = second.snapshot();
  EXPECT_GT(as_u64(records.front().payload) + 10, last_on_first);
  for (std::size_t i = 1; i < records.size(); ++i) ASSERT_EQ(as_u64(records[i].payload), as_u64(records[0].payload) + i);
}

}  // namespace
}  // namespace harness
