#include "harness/tcp_receiver.h"

#include <array>
#include <fstream>
#include <iterator>
#include <set>
#include <stdexcept>
#include <thread>

#include <boost/asio.hpp>
#include <boost/endian/conversion.hpp>
#include <fmt/format.h>

namespace harness {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

// A length header above this is a protocol error (worker-contract.md section
// 2 uses the same limit for source frames); the connection is closed.
constexpr std::uint32_t kMaxFrameLength = 1u << 20;
constexpr std::size_t kReadChunk = 64 * 1024;

}  // namespace

// Everything the I/O thread touches. Connections are owned by their pending
// read handler (shared_ptr) and listed here only so stop() can close them.
struct TCPReceiver::Server {
  struct Connection {
    Connection(tcp::socket s, std::size_t i) : socket(std::move(s)), index(i) {}
    tcp::socket socket;
    std::size_t index;
    std::string peer;
    std::array<char, kReadChunk> chunk;
    std::string pending;  // bytes of an incomplete frame / line
  };

  Server(Framing f, const std::string& host, std::uint16_t port) : framing(f), acceptor(io) {
    const tcp::endpoint endpoint(asio::ip::make_address(host), port);
    acceptor.open(endpoint.protocol());
    acceptor.set_option(tcp::acceptor::reuse_address(true));
    acceptor.bind(endpoint);
    acceptor.listen();
  }

  void accept() {
    acceptor.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted) return;  // closed by stop()
      if (ec) {
        // E.g. out of file descriptors: said, not swallowed; retrying at once would spin.
        add_error(fmt::format("accepting a connection failed: {}; no further connections are accepted",
                              ec.message()));
        return;
      }
      std::size_t index;
      {
        std::lock_guard lock(mutex);
        index = accepted++;
      }
      auto connection = std::make_shared<Connection>(std::move(socket), index);
      boost::system::error_code ignored;
      const auto remote = connection->socket.remote_endpoint(ignored);
      connection->peer = fmt::format("{}:{}", remote.address().to_string(), remote.port());
      open.insert(connection);
      read(connection);
      accept();
    });
  }

  void read(const std::shared_ptr<Connection>& c) {
    c->socket.async_read_some(asio::buffer(c->chunk), [this, c](boost::system::error_code ec, std::size_t n) {
      if (n > 0 && !consume(*c, n)) {
        close(c);
        return;
      }
      if (ec) {
        if (ec == asio::error::eof && !c->pending.empty()) {
          add_error(fmt::format("connection {} from {} closed with {} bytes of an incomplete {} dropped",
                                c->index, c->peer, c->pending.size(),
                                framing == Framing::kNewline ? "line" : "frame"));
        }
        close(c);
        return;
      }
      read(c);
    });
  }

  // Splits the bytes just read into records and appends them as one batch.
  // Returns false on a protocol error (already recorded).
  bool consume(Connection& c, std::size_t n) {
    c.pending.append(c.chunk.data(), n);
    std::vector<ReceivedRecord> batch;
    std::size_t pos = 0;
    bool ok = true;
    if (framing == Framing::kLengthPrefixed) {
      while (c.pending.size() - pos >= 4) {
        const std::uint32_t length =
            boost::endian::load_big_u32(reinterpret_cast<const unsigned char*>(c.pending.data() + pos));
        if (length > kMaxFrameLength) {
          add_error(fmt::format("connection {} from {}: length header {} exceeds the limit of {} bytes "
                                "(after {} bytes of this read); connection closed",
                                c.index, c.peer, length, kMaxFrameLength, pos));
          ok = false;
          break;
        }
        if (c.pending.size() - pos - 4 < length) break;
        batch.push_back({c.index, c.pending.substr(pos + 4, length)});
        pos += 4 + length;
      }
    } else {
      for (std::size_t eol; (eol = c.pending.find('\n', pos)) != std::string::npos; pos = eol + 1)
        batch.push_back({c.index, c.pending.substr(pos, eol - pos)});
    }
    c.pending.erase(0, pos);
    {
      std::lock_guard lock(mutex);
      bytes_received += n;
      records.insert(records.end(), std::make_move_iterator(batch.begin()), std::make_move_iterator(batch.end()));
    }
    if (!batch.empty()) changed.notify_all();
    return ok;
  }

  void add_error(std::string message) {
    {
      std::lock_guard lock(mutex);
      errors.push_back(std::move(message));
    }
    changed.notify_all();
  }

  void close(const std::shared_ptr<Connection>& c) {
    boost::system::error_code ignored;
    c->socket.shutdown(tcp::socket::shutdown_both, ignored);
    c->socket.close(ignored);
    open.erase(c);
  }

  void close_all() {
    boost::system::error_code ignored;
    acceptor.close(ignored);
    for (const auto& c : std::set(open)) close(c);
  }

  Framing framing;
  asio::io_context io;
  tcp::acceptor acceptor;
  std::set<std::shared_ptr<Connection>> open;  // I/O thread only
  std::thread thread;
  bool stopped = false;

  mutable std::mutex mutex;
  mutable std::condition_variable changed;
  std::vector<ReceivedRecord> records;
  std::uint64_t bytes_received = 0;
  std::size_t accepted = 0;
  std::vector<std::string> errors;
};

TCPReceiver::TCPReceiver(Framing framing, std::string host, std::uint16_t port)
    : framing_(framing), host_(std::move(host)), port_(port) {}

TCPReceiver::~TCPReceiver() { stop(); }

void TCPReceiver::start() {
  if (server_) throw std::logic_error(fmt::format("receiver at {} started twice", address()));
  try {
    server_ = std::make_unique<Server>(framing_, host_, port_);
  } catch (const boost::system::system_error& e) {
    throw std::runtime_error(fmt::format("receiver cannot listen on {}: {}", address(), e.code().message()));
  }
  port_ = server_->acceptor.local_endpoint().port();
  server_->accept();
  server_->thread = std::thread([server = server_.get()] { server->io.run(); });
}

void TCPReceiver::stop() {
  if (!server_ || server_->stopped) return;
  server_->stopped = true;
  // Closing from the I/O thread: Asio sockets are not safe to touch from two threads.
  asio::post(server_->io, [server = server_.get()] { server->close_all(); });
  if (server_->thread.joinable()) server_->thread.join();  // start() may have failed before the thread ran
}

std::string TCPReceiver::address() const { return fmt::format("{}:{}", host_, port_); }

std::vector<ReceivedRecord> TCPReceiver::snapshot() const {
  if (!server_) return {};
  std::lock_guard lock(server_->mutex);
  return server_->records;
}

std::size_t TCPReceiver::record_count() const {
  if (!server_) return 0;
  std::lock_guard lock(server_->mutex);
  return server_->records.size();
}

std::uint64_t TCPReceiver::bytes_received() const {
  if (!server_) return 0;
  std::lock_guard lock(server_->mutex);
  return server_->bytes_received;
}

std::size_t TCPReceiver::connections_accepted() const {
  if (!server_) return 0;
  std::lock_guard lock(server_->mutex);
  return server_->accepted;
}

std::vector<std::string> TCPReceiver::errors() const {
  if (!server_) return {};
  std::lock_guard lock(server_->mutex);
  return server_->errors;
}

bool TCPReceiver::wait_until(const RecordsPredicate& done, std::chrono::steady_clock::time_point deadline) const {
  if (!server_) return done({});
  std::unique_lock lock(server_->mutex);
  return server_->changed.wait_until(lock, deadline, [&] { return done(server_->records); });
}

void TCPReceiver::save(const std::filesystem::path& path) const {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw std::runtime_error(fmt::format("cannot write the records of {} to {}", address(), path.string()));
  for (const ReceivedRecord& record : snapshot()) {
    if (framing_ == Framing::kLengthPrefixed) {
      unsigned char header[4];
      boost::endian::store_big_u32(header, static_cast<std::uint32_t>(record.payload.size()));
      out.write(reinterpret_cast<const char*>(header), sizeof header);
      out << record.payload;
    } else {
      out << record.payload << '\n';
    }
  }
  out.flush();
  if (!out) throw std::runtime_error(fmt::format("writing the records of {} to {} failed", address(), path.string()));
}

}  // namespace harness
