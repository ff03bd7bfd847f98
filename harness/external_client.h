#pragma once
// Client of a cluster's external channel (the initializer's --external
// address), byte for byte as in worker-contract.md section 3 (the frame
// layout and types are in external_protocol.h).
// One connection carries many requests; every call has a deadline (connect
// and reply). A refused connection is retried until the connect deadline, so
// a cluster that is still starting can be queried. Answers are parsed with
// RapidJSON into the typed results below; a malformed or unexpected answer
// throws ExternalError saying what came back.
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "harness/external_protocol.h"

namespace harness {

class ExternalError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ExternalFrame {
  std::uint16_t type = 0;
  std::string payload;
};

struct ClusterStatus {
  bool initialized = false;  // false for the NotInitialized answer (type 11)
  bool processing_messages = false;
  int worker_count = 0;
  std::vector<std::string> worker_names;
  std::string raw;  // the JSON as received (empty for type 11)
};

// step name -> worker name -> partition keys (or counts).
template <typename PerWorker>
using PartitionsByStep = std::map<std::string, std::map<std::string, PerWorker>>;

struct PartitionMap {
  PartitionsByStep<std::vector<std::string>> state_partitions;
  PartitionsByStep<std::vector<std::string>> stateless_partitions;
  std::string raw;

  // Workers that own at least one partition of any step.
  std::set<std::string> workers_with_partitions() const;
  // Every worker listed under any step, with or without partitions.
  std::set<std::string> workers_listed() const;
  // key -> owner for one state step.
  std::map<std::string, std::string> owners(const std::string& step) const;
};

struct PartitionCounts {
  PartitionsByStep<std::int64_t> state_partitions;
  PartitionsByStep<std::int64_t> stateless_partitions;
  std::string raw;
};

struct ShrinkQueryResult {
  std::vector<std::string> node_names;
  int node_count = 0;
  std::string raw;
};

// The text of a type-6 answer to a (non-query) shrink request.
struct ShrinkReply {
  std::string text;
  bool accepted() const { return text.rfind("Shrinking by", 0) == 0; }
};

class ExternalClient {
 public:
  ExternalClient(std::string host, std::uint16_t port,
                 std::chrono::milliseconds connect_deadline = std::chrono::seconds(10),
                 std::chrono::milliseconds reply_deadline = std::chrono::seconds(10));
  ~ExternalClient();
  ExternalClient(const ExternalClient&) = delete;
  ExternalClient& operator=(const ExternalClient&) = delete;

  std::string address() const;

  ClusterStatus cluster_status();
  PartitionMap partitions();
  PartitionCounts partition_counts();
  std::vector<std::string> source_ids();
  ShrinkQueryResult shrink_query();
  ShrinkReply shrink_by_names(const std::vector<std::string>& names);
  ShrinkReply shrink_by_count(int count);

  // Commands that get no answer.
  void print(std::string_view text);
  void rotate_log(std::string_view worker_name);
  void clean_shutdown(std::string_view text);

  // Low level, for tests of the channel itself.
  void send_frame(std::uint16_t type, std::string_view payload);
  void send_raw(std::string_view bytes);
  // Next frame within the reply deadline; throws ExternalError on timeout
  // (naming what was awaited) or on a closed connection.
  ExternalFrame read_frame();
  ExternalFrame request(std::uint16_t type, std::string_view payload);
  // Drops the connection; the next call reconnects.
  void disconnect();

 private:
  struct Connection;
  std::string host_;
  std::uint16_t port_;
  std::chrono::milliseconds connect_deadline_;
  std::chrono::milliseconds reply_deadline_;
  std::unique_ptr<Connection> connection_;
};

}  // namespace harness
