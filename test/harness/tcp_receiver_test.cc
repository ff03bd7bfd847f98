// TCPReceiver: framing, protocol errors that cost one connection only,
// saving, and bounded waits.
#include "harness/tcp_receiver.h"

#include <chrono>

#include <boost/endian/conversion.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "harness/reader.h"
#include "harness/sender.h"
#include "harness/sink_await.h"
#include "harness/temp_dir.h"
#include "test/harness/raw_client.h"
#include "fixtures/assertions.h"

namespace harness {
namespace {

using autoscale::Passed;
using harness_test::RawClient;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using harness_test::framed;
using namespace std::chrono_literals;

std::string header(std::uint32_t length) {
  std::string out(4, '\0');
  boost::endian::store_big_u32(reinterpret_cast<unsigned char*>(out.data()), length);
  return out;
}

std::vector<std::string> payloads_of(const std::vector<ReceivedRecord>& records, std::size_t connection) {
  std::vector<std::string> out;
  for (const auto& record : records)
    if (record.connection == connection) out.push_back(record.payload);
  return out;
}

TEST(TCPReceiverTest, NewlineModeSplitsLinesAcrossWrites) {
  TCPReceiver receiver(Framing::kNewline);
  receiver.start();
  RawClient client(receiver.host(), receiver.port());
  client.write("alpha\nbe");
  client.write("ta\n\ngamma\n");
  ASSERT_TRUE(Passed(SinkExpect(receiver, 4, 10s).wait()));
  EXPECT_THAT(payloads_of(receiver.snapshot(), 0), ElementsAre("alpha", "beta", "", "gamma"));
  EXPECT_EQ(receiver.bytes_received(), 18u);
}

TEST(TCPReceiverTest, FramesSplitAcrossWritesAreReassembled) {
  Sink sink;
  sink.start();
  RawClient client(sink.host(), sink.port());
  const std::string bytes = framed("first") + framed("") + framed("third record");
  for (char c : bytes) client.write(std::string(1, c));  // one byte per write
  ASSERT_TRUE(Passed(SinkExpect(sink, 3, 10s).wait()));
  EXPECT_THAT(payloads_of(sink.snapshot(), 0), ElementsAre("first", "", "third record"));
}

TEST(TCPReceiverTest, OversizedHeaderClosesOnlyThatConnection) {
  Sink sink;
  sink.start();
  RawClient bad(sink.host(), sink.port());
  bad.write(framed("before"));
  ASSERT_TRUE(Passed(SinkExpect(sink, 1, 10s).wait()));  // so `bad` is connection 0
  RawClient good(sink.host(), sink.port());
  good.write(framed("g1"));
  ASSERT_TRUE(Passed(SinkExpect(sink, 2, 10s).wait()));

  bad.write(header((1u << 20) + 1) + "junk");
  EXPECT_TRUE(bad.closed_by_peer_within(10s)) << "the connection with the oversized header stayed open";
  // A frame of exactly the limit is still fine on the other connection.
  good.write(framed(std::string(1u << 20, 'x')) + framed("g2"));
  ASSERT_TRUE(Passed(SinkExpect(sink, 4, 10s).wait()));

  const auto records = sink.snapshot();
  EXPECT_THAT(payloads_of(records, 0), ElementsAre("before"));
  const auto good_payloads = payloads_of(records, 1);
  ASSERT_EQ(good_payloads.size(), 3u);
  EXPECT_EQ(good_payloads[1].size(), 1u << 20);
  EXPECT_EQ(good_payloads[2], "g2");
  ASSERT_EQ(sink.errors().size(), 1u);
  EXPECT_THAT(sink.errors()[0], HasSubstr("connection 0"));
  EXPECT_THAT(sink.errors()[0], HasSubstr("length header 1048577 exceeds the limit of 1048576 bytes"));
}

TEST(TCPReceiverTest, ConnectionClosedMidFrameIsReported) {
  Sink sink;
  sink.start();
  RawClient client(sink.host(), sink.port());
  client.write(framed("whole") + header(10) + "part");
  client.shutdown_send();
  // The receiver records the error before it closes its side.
  ASSERT_TRUE(client.closed_by_peer_within(10s));
  EXPECT_THAT(sink.snapshot().size(), 1u);
  ASSERT_EQ(sink.errors().size(), 1u);
  EXPECT_THAT(sink.errors()[0], HasSubstr("closed with 8 bytes of an incomplete frame dropped"));
}

TEST(TCPReceiverTest, SaveRoundTripsThroughTheFileSources) {
  TempDir dir("receiver-test.");
  Sink sink;
  sink.start();
  std::vector<std::string> sent;
  for (int i = 0; i < 1000; ++i) sent.push_back(std::string(static_cast<std::size_t>(i % 17), static_cast<char>('a' + i % 26)));
  Reader reader(items_source(sent, {}, /*cycle=*/false));
  Sender sender(sink.host(), sink.port(), reader, SenderPace{.batch_size = 64, .interval = 0ms});
  sender.start();
  ASSERT_TRUE(Passed(sender.join(10s)));
  ASSERT_TRUE(Passed(SinkExpect(sink, sent.size(), 10s).wait()));
  sink.save(dir.path() / "framed");
  std::vector<std::string> reread;
  auto framed_source = framed_file_source(dir.path() / "framed");
  while (auto record = framed_source()) reread.push_back(*record);
  EXPECT_EQ(reread, sent);

  TCPReceiver lines(Framing::kNewline);
  lines.start();
  RawClient client(lines.host(), lines.port());
  client.write("one\ntwo\n\nfour\n");
  ASSERT_TRUE(Passed(SinkExpect(lines, 4, 10s).wait()));
  lines.save(dir.path() / "lines");
  std::vector<std::string> reread_lines;
  auto line_source = newline_file_source(dir.path() / "lines");
  while (auto line = line_source()) reread_lines.push_back(*line);
  EXPECT_THAT(reread_lines, ElementsAre("one", "two", "", "four"));
}

TEST(TCPReceiverTest, WaitUntilIsBoundedAndStopIsIdempotent) {
  Sink sink;
  sink.start();
  EXPECT_NE(sink.port(), 0);
  EXPECT_EQ(sink.address(), "127.0.0.1:" + std::to_string(sink.port()));
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(sink.wait_until([](const auto& records) { return !records.empty(); }, start + 100ms));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 100ms);

  Sink same_port(Framing::kLengthPrefixed, "127.0.0.1", sink.port());
  try {
    same_port.start();
    FAIL() << "two receivers listened on one port";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr(sink.address()));
  }
  sink.stop();
  sink.stop();
  EXPECT_THROW(RawClient(sink.host(), sink.port()), boost::system::system_error) << "a stopped receiver still listens";
}

}  // namespace
}  // namespace harness
