// Metrics frames (worker-contract.md section 6): encode and parse agree, and a
// malformed frame names what is wrong.
#include "harness/metrics_data.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace harness {
namespace {

using ::testing::HasSubstr;

MetricsReport sample_report() {
  MetricsReport r;
  r.event = "computation";
  r.topic = "letter-state";
  r.payload_size = 6;
  r.payload_header = 4;
  r.metric_name = "count votes";
  r.category = "step";
  r.worker = "worker1";
  r.pipeline = "alphabet";
  r.id = 513;
  r.histogram[0] = 3;
  r.histogram[10] = 4;
  r.histogram[64] = 5;
  r.max = 1'000'000;
  r.min = 7;
  r.duration = 2'000'000'000;
  r.end_ts = 0x0102030405060708ull;
  return r;
}

TEST(MetricsDataTest, ConnectAndJoinFramesRoundTrip) {
  EXPECT_EQ(parse_metrics_frame(encode_metrics_connect()).type, MetricsFrame::Type::kConnect);
  const std::string join = encode_metrics_join("letter-state", "worker2");
  EXPECT_EQ(join, std::string("\x02\0\0\0\x0cletter-state\0\0\0\x07worker2", 1 + 4 + 12 + 4 + 7));
  const MetricsFrame frame = parse_metrics_frame(join);
  EXPECT_EQ(frame.type, MetricsFrame::Type::kJoin);
  EXPECT_EQ(frame.topic, "letter-state");
  EXPECT_EQ(frame.worker, "worker2");
}

TEST(MetricsDataTest, ReportRoundTripsAndCountsTheHistogram) {
  const std::string bytes = encode_metrics_report(sample_report());
  const MetricsFrame frame = parse_metrics_frame(bytes);
  ASSERT_EQ(frame.type, MetricsFrame::Type::kMetrics);
  const MetricsReport& r = frame.report;
  EXPECT_EQ(r.event, "computation");
  EXPECT_EQ(r.topic, "letter-state");
  EXPECT_EQ(r.payload_size, 6u);
  EXPECT_EQ(r.payload_header, 4u);
  EXPECT_EQ(r.metric_name, "count votes");
  EXPECT_EQ(r.category, "step");
  EXPECT_EQ(r.worker, "worker1");
  EXPECT_EQ(r.pipeline, "alphabet");
  EXPECT_EQ(r.id, 513);
  EXPECT_EQ(r.histogram, sample_report().histogram);
  EXPECT_EQ(r.count(), 12u);
  EXPECT_EQ(r.max, 1'000'000u);
  EXPECT_EQ(r.min, 7u);
  EXPECT_EQ(r.duration, 2'000'000'000u);
  EXPECT_EQ(r.end_ts, 0x0102030405060708ull);
  // Big-endian on the wire: the last 8 bytes are end_ts.
  EXPECT_EQ(bytes.substr(bytes.size() - 8), std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8));
}

TEST(MetricsDataTest, TruncatedFrameErrorNamesTheField) {
  const std::string bytes = encode_metrics_report(sample_report());
  struct Case {
    std::size_t keep;
    const char* field;
  };
  // type(1) event(4+11) topic(4+12) payload_size(4) payload_header(4) ...
  for (const Case c : {Case{0, "type"}, Case{3, "event"}, Case{1 + 15 + 16 + 2, "payload_size"},
                       Case{bytes.size() - 8 - 8 * 3 - 100, "histogram"}, Case{bytes.size() - 1, "end_ts"}}) {
    SCOPED_TRACE(c.field);
    try {
      (void)parse_metrics_frame(std::string_view(bytes).substr(0, c.keep));
      ADD_FAILURE() << "a frame cut to " << c.keep << " bytes was accepted";
    } catch (const MetricsParseError& e) {
      EXPECT_THAT(e.what(), HasSubstr(std::string("field '") + c.field + "'"));
    }
  }
}

TEST(MetricsDataTest, UnknownTypeAndTrailingBytesAreErrors) {
  EXPECT_THROW((void)parse_metrics_frame(std::string("\x09", 1)), MetricsParseError);
  try {
    (void)parse_metrics_frame(encode_metrics_connect() + "xy");
    FAIL() << "trailing bytes were accepted";
  } catch (const MetricsParseError& e) {
    EXPECT_THAT(e.what(), HasSubstr("2 trailing bytes"));
  }
}

}  // namespace
}  // namespace harness
