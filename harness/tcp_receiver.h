#pragma once
// A TCP server (Boost.Asio, own thread) that accepts many connections and
// keeps every record it receives in arrival order, with the connection it came
// on. Sink (worker output) and Metrics (worker metrics) are receivers.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace harness {

enum class Framing {
  kLengthPrefixed,  // u32 big-endian length, then that many bytes
  kNewline,         // one record per '\n'-terminated line
};

struct ReceivedRecord {
  std::size_t connection;  // 0, 1, ... in order of acceptance
  std::string payload;     // without the length header / newline
};

class TCPReceiver {
 public:
  // port 0: the OS picks a free port (read it back with port()).
  explicit TCPReceiver(Framing framing = Framing::kLengthPrefixed, std::string host = "127.0.0.1",
                       std::uint16_t port = 0);
  virtual ~TCPReceiver();  // stops
  TCPReceiver(const TCPReceiver&) = delete;
  TCPReceiver& operator=(const TCPReceiver&) = delete;

  // Binds, listens and starts the I/O thread. Throws if it cannot bind.
  void start();
  // Closes the listener and all connections and joins the thread. Idempotent.
  void stop();

  const std::string& host() const { return host_; }
  std::uint16_t port() const { return port_; }
  std::string address() const;  // "host:port"

  std::vector<ReceivedRecord> snapshot() const;
  std::size_t record_count() const;
  std::uint64_t bytes_received() const;
  std::size_t connections_accepted() const;
  // Protocol errors seen (e.g. an oversized length header): the offending
  // connection is closed; the others go on.
  std::vector<std::string> errors() const;

  // Event-driven wait: calls `done` (under the receiver's lock) with all
  // records so far, at once and again whenever records arrive, until it
  // returns true (then true) or the deadline passes (then false).
  using RecordsPredicate = std::function<bool(const std::vector<ReceivedRecord>&)>;
  bool wait_until(const RecordsPredicate& done, std::chrono::steady_clock::time_point deadline) const;

  // Writes the records to a file: framed records re-framed, lines with '\n'.
  void save(const std::filesystem::path& path) const;

 private:
  struct Server;
  Framing framing_;
  std::string host_;
  std::uint16_t port_;
  std::unique_ptr<Server> server_;
};

// Where workers write their output frames.
class Sink : public TCPReceiver {
 public:
  using TCPReceiver::TCPReceiver;
};

// Where workers send their metrics frames (see metrics_data.h).
class Metrics : public TCPReceiver {
 public:
  using TCPReceiver::TCPReceiver;
};

}  // namespace harness
