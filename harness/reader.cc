#include "harness/reader.h"

#include <fstream>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <utility>

#include <boost/endian/conversion.hpp>
#include <fmt/format.h>

namespace harness {

Reader::Reader(Source source, OnSent on_sent) : source_(std::move(source)), on_sent_(std::move(on_sent)) {}

std::optional<std::string> Reader::next() {
  if (!source_) return std::nullopt;
  return source_();
}

void Reader::sent(const std::string& payload) const {
  if (on_sent_) on_sent_(payload);
}

Reader::Source items_source(std::vector<std::string> items,
                            std::function<std::string(const std::string&)> to_bytes, bool cycle,
                            std::optional<std::uint64_t> limit) {
  // The position lives in shared state so the std::function stays copyable.
  struct State {
    std::vector<std::string> items;
    std::function<std::string(const std::string&)> to_bytes;
    bool cycle;
    std::optional<std::uint64_t> limit;
    std::size_t index = 0;
    std::uint64_t produced = 0;
  };
  auto state = std::make_shared<State>(State{std::move(items), std::move(to_bytes), cycle, limit});
  return [state]() -> std::optional<std::string> {
    State& s = *state;
    if (s.limit && s.produced >= *s.limit) return std::nullopt;
    if (s.items.empty()) return std::nullopt;
    if (s.index == s.items.size()) {
      if (!s.cycle) return std::nullopt;
      s.index = 0;
    }
    const std::string& item = s.items[s.index++];
    ++s.produced;
    return s.to_bytes ? s.to_bytes(item) : item;
  };
}

Reader::Source u64_sequence_source(std::uint64_t start, std::uint64_t count) {
  auto next = std::make_shared<std::uint64_t>(0);
  return [next, start, count]() -> std::optional<std::string> {
    if (*next >= count) return std::nullopt;
    std::string bytes(8, '\0');
    boost::endian::store_big_u64(reinterpret_cast<unsigned char*>(bytes.data()), start + (*next)++);
    return bytes;
  };
}

Reader::Source framed_file_source(const std::filesystem::path& path) {
  // The whole file is checked up front, so a truncated file is reported
  // before a single record is sent rather than halfway through a run.
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(fmt::format("cannot open framed record file {}", path.string()));
  const std::string data{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  auto records = std::make_shared<std::vector<std::string>>();
  std::size_t pos = 0;
  while (pos < data.size()) {
    if (data.size() - pos < 4)
      throw std::runtime_error(fmt::format("framed record file {} is truncated: {} bytes at offset {} "
                                           "are too few for a 4-byte length header (record {})",
                                           path.string(), data.size() - pos, pos, records->size()));
    const std::uint32_t length =
        boost::endian::load_big_u32(reinterpret_cast<const unsigned char*>(data.data() + pos));
    if (data.size() - pos - 4 < length)
      throw std::runtime_error(fmt::format("framed record file {} is truncated: record {} at offset {} "
                                           "declares {} bytes but only {} remain",
                                           path.string(), records->size(), pos, length, data.size() - pos - 4));
    records->emplace_back(data, pos + 4, length);
    pos += 4 + length;
  }
  auto next = std::make_shared<std::size_t>(0);
  return [records, next]() -> std::optional<std::string> {
    if (*next >= records->size()) return std::nullopt;
    return std::move((*records)[(*next)++]);
  };
}

Reader::Source newline_file_source(const std::filesystem::path& path) {
  auto in = std::make_shared<std::ifstream>(path);
  if (!*in) throw std::runtime_error(fmt::format("cannot open line file {}", path.string()));
  return [in]() -> std::optional<std::string> {
    std::string line;
    if (!std::getline(*in, line)) return std::nullopt;
    return line;
  };
}

}  // namespace harness
