#pragma once
// Parser of the metrics frames of worker-contract.md section 6. The payload
// is what follows the u32 frame length: u8 type | body. `str` is u32 length |
// bytes; integers are big-endian. Throws MetricsParseError on a malformed frame.
#include <array>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace harness {

class MetricsParseError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct MetricsReport {
  std::string event, topic;
  std::uint32_t payload_size = 0, payload_header = 0;
  std::string metric_name, category, worker, pipeline;
  std::uint16_t id = 0;
  std::array<std::uint64_t, 65> histogram{};
  std::uint64_t max = 0, min = 0, duration = 0, end_ts = 0;

  // Records in the period: the sum of the histogram.
  std::uint64_t count() const;
};

struct MetricsFrame {
  enum class Type : std::uint8_t { kConnect = 1, kJoin = 2, kMetrics = 3 };
  Type type = Type::kConnect;
  std::string topic, worker;  // kJoin
  MetricsReport report;       // kMetrics
};

MetricsFrame parse_metrics_frame(std::string_view payload);
// The inverse, so workers and tests build frames the same way.
std::string encode_metrics_connect();
std::string encode_metrics_join(std::string_view topic, std::string_view worker);
std::string encode_metrics_report(const MetricsReport& report);

}  // namespace harness
