#include "harness/external_client.h"

#include <boost/asio/error.hpp>
#include <boost/endian/conversion.hpp>
#include <fmt/format.h>
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "harness/deadline_socket.h"

namespace harness {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;

// An answer longer than this is not one of the contract's answers.
constexpr std::uint32_t kMaxAnswerLength = 64u << 20;
// How much of a bad answer an error message quotes.
constexpr std::size_t kQuotedPayload = 300;

std::string type_name(std::uint16_t type) {
  switch (static_cast<ExternalType>(type)) {
    case ExternalType::kPrint: return "Print";
    case ExternalType::kRotateLog: return "RotateLog";
    case ExternalType::kCleanShutdown: return "CleanShutdown";
    case ExternalType::kShrinkRequest: return "ShrinkRequest";
    case ExternalType::kShrinkQueryResponse: return "ShrinkQueryResponse";
    case ExternalType::kShrinkErrorResponse: return "ShrinkErrorResponse";
    case ExternalType::kPartitionQuery: return "PartitionQuery";
    case ExternalType::kPartitionQueryResponse: return "PartitionQueryResponse";
    case ExternalType::kClusterStatusQuery: return "ClusterStatusQuery";
    case ExternalType::kClusterStatusQueryResponse: return "ClusterStatusQueryResponse";
    case ExternalType::kClusterStatusQueryResponseNotInitialized: return "ClusterStatusQueryResponseNotInitialized";
    case ExternalType::kPartitionCountQuery: return "PartitionCountQuery";
    case ExternalType::kPartitionCountQueryResponse: return "PartitionCountQueryResponse";
    case ExternalType::kSourceIdsQuery: return "SourceIdsQuery";
    case ExternalType::kSourceIdsQueryResponse: return "SourceIdsQueryResponse";
  }
  return "unknown";
}

std::string describe_type(std::uint16_t type) { return fmt::format("{} (type {})", type_name(type), type); }

std::string quote(std::string_view payload) {
  std::string out = "\"";
  for (unsigned char c : payload.substr(0, kQuotedPayload)) {
    if (c == '"' || c == '\\') out += fmt::format("\\{}", static_cast<char>(c));
    else if (c < 0x20 || c >= 0x7f) out += fmt::format("\\x{:02x}", c);
    else out += static_cast<char>(c);
  }
  out += "\"";
  if (payload.size() > kQuotedPayload) out += fmt::format(" ({} bytes in all)", payload.size());
  return out;
}

std::string shrink_request_json(bool query, const std::vector<std::string>& names, int count) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.StartObject();
  writer.Key("query");
  writer.Bool(query);
  writer.Key("node_names");
  writer.StartArray();
  for (const std::string& name : names) writer.String(name.data(), static_cast<rapidjson::SizeType>(name.size()));
  writer.EndArray();
  writer.Key("node_count");
  writer.Int(count);
  writer.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

// Reads one answer's JSON and its fields; every failure says which request
// it answered, what type came back and what the payload was.
class AnswerParser {
 public:
  AnswerParser(std::string address, std::uint16_t request, const ExternalFrame& answer)
      : context_(fmt::format("the answer from {} to {}: {} with payload {}", address, describe_type(request),
                             describe_type(answer.type), quote(answer.payload))) {
    document_.Parse(answer.payload.data(), answer.payload.size());
    if (document_.HasParseError())
      fail(fmt::format("not valid JSON ({} at offset {})", rapidjson::GetParseError_En(document_.GetParseError()),
                       document_.GetErrorOffset()));
    if (!document_.IsObject()) fail("the JSON is not an object");
  }

  const rapidjson::Value& member(const rapidjson::Value& object, const char* name, const char* path) const {
    auto it = object.FindMember(name);
    if (it == object.MemberEnd()) fail(fmt::format("field '{}' is missing", path));
    return it->value;
  }
  const rapidjson::Value& root() const { return document_; }

  bool boolean(const rapidjson::Value& object, const char* name) const {
    const rapidjson::Value& v = member(object, name, name);
    if (!v.IsBool()) fail(fmt::format("field '{}' is not a boolean", name));
    return v.GetBool();
  }
  int integer(const rapidjson::Value& object, const char* name) const {
    const rapidjson::Value& v = member(object, name, name);
    if (!v.IsInt()) fail(fmt::format("field '{}' is not an integer", name));
    return v.GetInt();
  }
  std::vector<std::string> strings(const rapidjson::Value& value, const std::string& path) const {
    if (!value.IsArray()) fail(fmt::format("field '{}' is not an array", path));
    std::vector<std::string> out;
    for (const auto& item : value.GetArray()) {
      if (!item.IsString()) fail(fmt::format("field '{}' holds a non-string", path));
      out.emplace_back(item.GetString(), item.GetStringLength());
    }
    return out;
  }

  // {"step": {"worker": <per worker>}} under `name`.
  template <typename PerWorker, typename Convert>
  PartitionsByStep<PerWorker> steps(const char* name, Convert convert) const {
    const rapidjson::Value& by_step = member(document_, name, name);
    if (!by_step.IsObject()) fail(fmt::format("field '{}' is not an object", name));
    PartitionsByStep<PerWorker> out;
    for (const auto& step : by_step.GetObject()) {
      const std::string step_name(step.name.GetString(), step.name.GetStringLength());
      const std::string step_path = fmt::format("{}.{}", name, step_name);
      if (!step.value.IsObject()) fail(fmt::format("field '{}' is not an object", step_path));
      auto& workers = out[step_name];
      for (const auto& worker : step.value.GetObject()) {
        const std::string worker_name(worker.name.GetString(), worker.name.GetStringLength());
        workers[worker_name] = convert(worker.value, fmt::format("{}.{}", step_path, worker_name));
      }
    }
    return out;
  }

  [[noreturn]] void fail(const std::string& what) const { throw ExternalError(what + " in " + context_); }

 private:
  std::string context_;
  rapidjson::Document document_;
};

}  // namespace

// The connection and what it is awaiting; any failure closes the socket and
// the next call reconnects.
struct ExternalClient::Connection {
  DeadlineSocket socket;
  std::uint16_t last_request = 0;  // what a read_frame is awaiting the answer to
};

ExternalClient::ExternalClient(std::string host, std::uint16_t port, std::chrono::milliseconds connect_deadline,
                               std::chrono::milliseconds reply_deadline)
    : host_(std::move(host)),
      port_(port),
      connect_deadline_(connect_deadline),
      reply_deadline_(reply_deadline),
      connection_(std::make_unique<Connection>()) {}

ExternalClient::~ExternalClient() = default;

std::string ExternalClient::address() const { return fmt::format("{}:{}", host_, port_); }

void ExternalClient::disconnect() { connection_->socket.close(); }

void ExternalClient::send_raw(std::string_view bytes) {
  DeadlineSocket& socket = connection_->socket;
  if (!socket.is_open()) {
    // A cluster that is still starting refuses connections: the socket retries those.
    if (const error_code ec = socket.connect(host_, port_, Clock::now() + connect_deadline_))
      throw ExternalError(fmt::format("could not connect to the external channel at {} within {} ms: {}", address(),
                                      connect_deadline_.count(), ec.message()));
  }
  if (const error_code ec = socket.write(bytes, Clock::now() + reply_deadline_)) {
    socket.close();
    throw ExternalError(fmt::format("sending {} to {} failed: {}", describe_type(connection_->last_request), address(),
                                    ec == asio::error::timed_out ? fmt::format("not taken within {} ms", reply_deadline_.count())
                                                                 : ec.message()));
  }
}

void ExternalClient::send_frame(std::uint16_t type, std::string_view payload) {
  std::string bytes(kExternalHeaderSize, '\0');
  auto* header = reinterpret_cast<unsigned char*>(bytes.data());
  boost::endian::store_big_u32(header, static_cast<std::uint32_t>(kExternalTypeSize + payload.size()));
  boost::endian::store_big_u16(header + kExternalLengthSize, type);
  bytes.append(payload);
  connection_->last_request = type;
  send_raw(bytes);
}

ExternalFrame ExternalClient::read_frame() {
  DeadlineSocket& socket = connection_->socket;
  const std::uint16_t last_request = connection_->last_request;
  const std::string awaited = last_request ? describe_type(last_request) : std::string("a request");
  if (!socket.is_open()) throw ExternalError(fmt::format("no connection to {} to read the answer to {} from", address(), awaited));
  const auto deadline = Clock::now() + reply_deadline_;
  auto fail = [&](const error_code& ec, std::string_view part) -> ExternalError {
    socket.close();
    if (ec == asio::error::timed_out)
      return ExternalError(fmt::format("no answer to {} from {} within {} ms", awaited, address(), reply_deadline_.count()));
    if (ec == asio::error::eof)
      return ExternalError(fmt::format("{} closed the connection while the answer to {} was awaited ({})", address(),
                                       awaited, part));
    return ExternalError(fmt::format("reading the answer to {} from {} failed ({}): {}", awaited, address(), part,
                                     ec.message()));
  };
  unsigned char header[kExternalHeaderSize];
  if (const error_code ec = socket.read(reinterpret_cast<char*>(header), sizeof header, deadline))
    throw fail(ec, "in the frame header");
  const std::uint32_t length = boost::endian::load_big_u32(header);
  ExternalFrame frame;
  frame.type = boost::endian::load_big_u16(header + kExternalLengthSize);
  if (length < kExternalTypeSize || length > kMaxAnswerLength) {
    socket.close();
    throw ExternalError(fmt::format("the answer to {} from {} has an invalid length header {} (type {}); connection dropped",
                                    awaited, address(), length, frame.type));
  }
  frame.payload.resize(length - kExternalTypeSize);
  if (!frame.payload.empty()) {
    if (const error_code ec = socket.read(frame.payload.data(), frame.payload.size(), deadline))
      throw fail(ec, fmt::format("in a payload of {} bytes", frame.payload.size()));
  }
  return frame;
}

ExternalFrame ExternalClient::request(std::uint16_t type, std::string_view payload) {
  send_frame(type, payload);
  return read_frame();
}

namespace {

[[noreturn]] void wrong_type(const std::string& address, std::uint16_t request, const ExternalFrame& answer,
                             std::string_view expected) {
  throw ExternalError(fmt::format("the answer from {} to {} has the wrong type: expected {}, got {} with payload {}",
                                  address, describe_type(request), expected, describe_type(answer.type),
                                  quote(answer.payload)));
}

}  // namespace

ClusterStatus ExternalClient::cluster_status() {
  constexpr auto kRequest = static_cast<std::uint16_t>(ExternalType::kClusterStatusQuery);
  const ExternalFrame answer = request(kRequest, {});
  ClusterStatus status;
  if (answer.type == static_cast<std::uint16_t>(ExternalType::kClusterStatusQueryResponseNotInitialized)) return status;
  if (answer.type != static_cast<std::uint16_t>(ExternalType::kClusterStatusQueryResponse))
    wrong_type(address(), kRequest, answer, describe_type(10) + " or " + describe_type(11));
  const AnswerParser json(address(), kRequest, answer);
  status.initialized = true;
  status.processing_messages = json.boolean(json.root(), "processing_messages");
  status.worker_count = json.integer(json.root(), "worker_count");
  status.worker_names = json.strings(json.member(json.root(), "worker_names", "worker_names"), "worker_names");
  status.raw = answer.payload;
  return status;
}

PartitionMap ExternalClient::partitions() {
  constexpr auto kRequest = static_cast<std::uint16_t>(ExternalType::kPartitionQuery);
  const ExternalFrame answer = request(kRequest, {});
  if (answer.type != static_cast<std::uint16_t>(ExternalType::kPartitionQueryResponse))
    wrong_type(address(), kRequest, answer, describe_type(8));
  const AnswerParser json(address(), kRequest, answer);
  auto keys = [&](const rapidjson::Value& v, const std::string& path) { return json.strings(v, path); };
  PartitionMap map;
  map.state_partitions = json.steps<std::vector<std::string>>("state_partitions", keys);
  map.stateless_partitions = json.steps<std::vector<std::string>>("stateless_partitions", keys);
  map.raw = answer.payload;
  return map;
}

PartitionCounts ExternalClient::partition_counts() {
  constexpr auto kRequest = static_cast<std::uint16_t>(ExternalType::kPartitionCountQuery);
  const ExternalFrame answer = request(kRequest, {});
  if (answer.type != static_cast<std::uint16_t>(ExternalType::kPartitionCountQueryResponse))
    wrong_type(address(), kRequest, answer, describe_type(13));
  const AnswerParser json(address(), kRequest, answer);
  auto count = [&](const rapidjson::Value& v, const std::string& path) -> std::int64_t {
    if (!v.IsInt64()) json.fail(fmt::format("field '{}' is not an integer", path));
    return v.GetInt64();
  };
  PartitionCounts counts;
  counts.state_partitions = json.steps<std::int64_t>("state_partitions", count);
  counts.stateless_partitions = json.steps<std::int64_t>("stateless_partitions", count);
  counts.raw = answer.payload;
  return counts;
}

std::vector<std::string> ExternalClient::source_ids() {
  constexpr auto kRequest = static_cast<std::uint16_t>(ExternalType::kSourceIdsQuery);
  const ExternalFrame answer = request(kRequest, {});
  if (answer.type != static_cast<std::uint16_t>(ExternalType::kSourceIdsQueryResponse))
    wrong_type(address(), kRequest, answer, describe_type(15));
  const AnswerParser json(address(), kRequest, answer);
  return json.strings(json.member(json.root(), "source_ids", "source_ids"), "source_ids");
}

ShrinkQueryResult ExternalClient::shrink_query() {
  constexpr auto kRequest = static_cast<std::uint16_t>(ExternalType::kShrinkRequest);
  const ExternalFrame answer = request(kRequest, shrink_request_json(true, {}, 0));
  if (answer.type != static_cast<std::uint16_t>(ExternalType::kShrinkQueryResponse))
    wrong_type(address(), kRequest, answer, describe_type(5));
  const AnswerParser json(address(), kRequest, answer);
  ShrinkQueryResult result;
  result.node_names = json.strings(json.member(json.root(), "node_names", "node_names"), "node_names");
  result.node_count = json.integer(json.root(), "node_count");
  result.raw = answer.payload;
  return result;
}

namespace {

ShrinkReply shrink_reply(const std::string& address, const ExternalFrame& answer) {
  constexpr auto kRequest = static_cast<std::uint16_t>(ExternalType::kShrinkRequest);
  if (answer.type != static_cast<std::uint16_t>(ExternalType::kShrinkErrorResponse))
    wrong_type(address, kRequest, answer, describe_type(6));
  return ShrinkReply{answer.payload};
}

}  // namespace

ShrinkReply ExternalClient::shrink_by_names(const std::vector<std::string>& names) {
  // node_count is ignored when names are given; it carries their number.
  return shrink_reply(address(), request(static_cast<std::uint16_t>(ExternalType::kShrinkRequest),
                                         shrink_request_json(false, names, static_cast<int>(names.size()))));
}

ShrinkReply ExternalClient::shrink_by_count(int count) {
  return shrink_reply(address(), request(static_cast<std::uint16_t>(ExternalType::kShrinkRequest),
                                         shrink_request_json(false, {}, count)));
}

void ExternalClient::print(std::string_view text) {
  send_frame(static_cast<std::uint16_t>(ExternalType::kPrint), text);
}

void ExternalClient::rotate_log(std::string_view worker_name) {
  send_frame(static_cast<std::uint16_t>(ExternalType::kRotateLog), worker_name);
}

void ExternalClient::clean_shutdown(std::string_view text) {
  send_frame(static_cast<std::uint16_t>(ExternalType::kCleanShutdown), text);
}

std::set<std::string> PartitionMap::workers_with_partitions() const {
  std::set<std::string> workers;
  for (const auto* steps : {&state_partitions, &stateless_partitions})
    for (const auto& [step, by_worker] : *steps)
      for (const auto& [worker, keys] : by_worker)
        if (!keys.empty()) workers.insert(worker);
  return workers;
}

std::set<std::string> PartitionMap::workers_listed() const {
  std::set<std::string> workers;
  for (const auto* steps : {&state_partitions, &stateless_partitions})
    for (const auto& [step, by_worker] : *steps)
      for (const auto& [worker, keys] : by_worker) workers.insert(worker);
  return workers;
}

std::map<std::string, std::string> PartitionMap::owners(const std::string& step) const {
  std::map<std::string, std::string> owner_of;
  auto it = state_partitions.find(step);
  if (it == state_partitions.end()) return owner_of;
  for (const auto& [worker, keys] : it->second)
    for (const std::string& key : keys) owner_of[key] = worker;
  return owner_of;
}

}  // namespace harness
