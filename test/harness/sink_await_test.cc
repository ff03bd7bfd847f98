// SinkAwaitValue / SinkExpect: bounded waits whose timeout says what is missing.
#include "harness/sink_await.h"

#include <chrono>

#include <boost/endian/conversion.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "harness/alphabet.h"
#include "test/harness/raw_client.h"
#include "fixtures/assertions.h"

namespace harness {
namespace {

using autoscale::Passed;
using harness_test::RawClient;
using ::testing::HasSubstr;
using ::testing::Not;
using harness_test::framed;
using namespace std::chrono_literals;

TEST(SinkAwaitTest, ValuePassesOnceEveryPayloadArrivedInAnyOrder) {
  Sink sink;
  sink.start();
  RawClient client(sink.host(), sink.port());
  SinkAwaitValue await(sink, {alphabet::encode_total("ab", 2), alphabet::encode_total("zz", 1)}, 10s,
                       alphabet::describe_total);
  client.write(framed(alphabet::encode_total("zz", 1)) + framed(alphabet::encode_total("ab", 1)) +
               framed(alphabet::encode_total("ab", 2)));
  EXPECT_TRUE(Passed(await.wait()));
}

TEST(SinkAwaitTest, ValueTimeoutListsTheMissingValuesAndTheLastSeen) {
  Sink sink;
  sink.start();
  RawClient client(sink.host(), sink.port());
  client.write(framed(alphabet::encode_total("ab", 1)) + framed(alphabet::encode_total("ab", 2)));
  ASSERT_TRUE(Passed(SinkExpect(sink, 2, 10s).wait()));
  const WaitResult result = SinkAwaitValue(sink,
                                           {alphabet::encode_total("ab", 2), alphabet::encode_total("cd", 5),
                                            alphabet::encode_total("zz", 9)},
                                           150ms, alphabet::describe_total)
                                .wait();
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.message(), HasSubstr("awaited 3 expected records at " + sink.address() + " for 150 ms"));
  EXPECT_THAT(result.message(), HasSubstr("2 still missing: cd=5, zz=9;"));
  EXPECT_THAT(result.message(), HasSubstr("last seen: 2 records on 1 connections, the last ab=2"));
  EXPECT_THAT(result.message(), Not(HasSubstr("ab=1")));
}

TEST(SinkAwaitTest, ValueTimeoutCountsWhatItDoesNotList) {
  Sink sink;
  sink.start();
  std::vector<std::string> expected;
  for (int i = 1; i <= 100; ++i) expected.push_back(alphabet::encode_total("qq", i));
  const WaitResult result = SinkAwaitValue(sink, expected, 10ms).wait();  // default: hex
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.message(), HasSubstr("100 still missing: 10 bytes: 71 71 00 00 00 00 00 00 00 01,"));
  EXPECT_THAT(result.message(), HasSubstr("(and 60 more)"));
  EXPECT_THAT(result.message(), HasSubstr("last seen: 0 records on 0 connections"));
}

TEST(SinkAwaitTest, ExpectPassesAtTheCountAndTimesOutSayingHowFarItGot) {
  Sink sink;
  sink.start();
  RawClient client(sink.host(), sink.port());
  client.write(framed("a") + framed("b") + framed("c"));
  EXPECT_TRUE(Passed(SinkExpect(sink, 3, 10s).wait()));
  const WaitResult result = SinkExpect(sink, 5, 100ms).wait();
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.message(), HasSubstr("awaited at least 5 records at " + sink.address() + " for 100 ms"));
  EXPECT_THAT(result.message(), HasSubstr("last seen: 3 records on 1 connections, the last 1 bytes: 63"));
}

TEST(SinkAwaitTest, HexPayloadSpellsEveryByte) {
  EXPECT_EQ(hex_payload(std::string("a\0\xff", 3)), "3 bytes: 61 00 ff");
  EXPECT_EQ(hex_payload(""), "0 bytes:");
}

}  // namespace
}  // namespace harness
