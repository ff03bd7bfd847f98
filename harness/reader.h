#pragma once
// Where a Sender's records come from. A Reader hands out payloads (without
// the u32 frame header) from a source; its on_sent hook is called by the
// Sender for each record once it has really been written to the socket, so a
// scenario counts exactly what was sent.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace harness {

class Reader {
 public:
  // Next payload, or nullopt when the source is exhausted.
  using Source = std::function<std::optional<std::string>()>;
  using OnSent = std::function<void(const std::string& payload)>;

  explicit Reader(Source source, OnSent on_sent = {});

  std::optional<std::string> next();
  // Called by the Sender after a record was written.
  void sent(const std::string& payload) const;

 private:
  Source source_;
  OnSent on_sent_;
};

// Items turned into bytes by `to_bytes`, cycling forever when `cycle`, and
// stopping after `limit` records when given.
Reader::Source items_source(std::vector<std::string> items,
                            std::function<std::string(const std::string&)> to_bytes,
                            bool cycle, std::optional<std::uint64_t> limit = std::nullopt);
// `count` u64 values from `start`, each as 8 big-endian bytes.
Reader::Source u64_sequence_source(std::uint64_t start, std::uint64_t count);
// Records of a file of u32-big-endian-framed records; throws on a truncated file.
Reader::Source framed_file_source(const std::filesystem::path& path);
// Lines of a text file, without their newline.
Reader::Source newline_file_source(const std::filesystem::path& path);

}  // namespace harness
