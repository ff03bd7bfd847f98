#include "harness/metrics_data.h"

#include <numeric>

#include <boost/endian/conversion.hpp>
#include <fmt/format.h>

namespace harness {
namespace {

// Reads big-endian fields from a payload, naming the field that runs short.
class FieldReader {
 public:
  explicit FieldReader(std::string_view data) : data_(data) {}

  template <typename T>
  T integer(const char* field) {
    need(sizeof(T), field);
    T value = boost::endian::endian_load<T, sizeof(T), boost::endian::order::big>(
        reinterpret_cast<const unsigned char*>(data_.data() + pos_));
    pos_ += sizeof(T);
    return value;
  }

  std::string str(const char* field) {
    const auto length = integer<std::uint32_t>(field);
    need(length, field);
    std::string value(data_.substr(pos_, length));
    pos_ += length;
    return value;
  }

  void finish() const {
    if (pos_ != data_.size())
      throw MetricsParseError(fmt::format("metrics frame has {} trailing bytes", data_.size() - pos_));
  }

 private:
  void need(std::size_t n, const char* field) const {
    if (data_.size() - pos_ < n)
      throw MetricsParseError(fmt::format("metrics frame too short for field '{}': needs {} bytes at offset {}, has {}",
                                          field, n, pos_, data_.size() - pos_));
  }
  std::string_view data_;
  std::size_t pos_ = 0;
};

template <typename T>
void put(std::string& out, T value) {
  unsigned char buf[sizeof(T)];
  boost::endian::endian_store<T, sizeof(T), boost::endian::order::big>(buf, value);
  out.append(reinterpret_cast<const char*>(buf), sizeof(T));
}

void put_str(std::string& out, std::string_view s) {
  put<std::uint32_t>(out, static_cast<std::uint32_t>(s.size()));
  out.append(s);
}

}  // namespace

std::uint64_t MetricsReport::count() const {
  return std::accumulate(histogram.begin(), histogram.end(), std::uint64_t{0});
}

MetricsFrame parse_metrics_frame(std::string_view payload) {
  FieldReader in(payload);
  MetricsFrame frame;
  const auto type = in.integer<std::uint8_t>("type");
  switch (type) {
    case 1:
      frame.type = MetricsFrame::Type::kConnect;
      break;
    case 2:
      frame.type = MetricsFrame::Type::kJoin;
      frame.topic = in.str("topic");
      frame.worker = in.str("worker");
      break;
    case 3: {
      frame.type = MetricsFrame::Type::kMetrics;
      MetricsReport& r = frame.report;
      r.event = in.str("event");
      r.topic = in.str("topic");
      r.payload_size = in.integer<std::uint32_t>("payload_size");
      r.payload_header = in.integer<std::uint32_t>("payload_header");
      r.metric_name = in.str("metric_name");
      r.category = in.str("category");
      r.worker = in.str("worker");
      r.pipeline = in.str("pipeline");
      r.id = in.integer<std::uint16_t>("id");
      for (auto& bin : r.histogram) bin = in.integer<std::uint64_t>("histogram");
      r.max = in.integer<std::uint64_t>("max");
      r.min = in.integer<std::uint64_t>("min");
      r.duration = in.integer<std::uint64_t>("duration");
      r.end_ts = in.integer<std::uint64_t>("end_ts");
      break;
    }
    default:
      throw MetricsParseError(fmt::format("unknown metrics frame type {}", type));
  }
  in.finish();
  return frame;
}

std::string encode_metrics_connect() { return std::string(1, '\x01'); }

std::string encode_metrics_join(std::string_view topic, std::string_view worker) {
  std::string out(1, '\x02');
  put_str(out, topic);
  put_str(out, worker);
  return out;
}

std::string encode_metrics_report(const MetricsReport& r) {
  std::string out(1, '\x03');
  put_str(out, r.event);
  put_str(out, r.topic);
  put<std::uint32_t>(out, r.payload_size);
  put<std::uint32_t>(out, r.payload_header);
  put_str(out, r.metric_name);
  put_str(out, r.category);
  put_str(out, r.worker);
  put_str(out, r.pipeline);
  put<std::uint16_t>(out, r.id);
  for (auto bin : r.histogram) put<std::uint64_t>(out, bin);
  put<std::uint64_t>(out, r.max);
  put<std::uint64_t>(out, r.min);
  put<std::uint64_t>(out, r.duration);
  put<std::uint64_t>(out, r.end_ts);
  return out;
}

}  // namespace harness
