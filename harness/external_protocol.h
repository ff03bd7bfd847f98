#pragma once
// The external channel's wire contract (worker-contract.md section 3), in one
// place for both ends: the harness's ExternalClient and the reference
// worker's server.
//   frame = u32 L (big-endian) | u16 type (big-endian) | payload[L-2]
// L counts the type and the payload.
#include <cstddef>
#include <cstdint>

namespace harness {

enum class ExternalType : std::uint16_t {
  kPrint = 1,
  kRotateLog = 2,
  kCleanShutdown = 3,
  kShrinkRequest = 4,
  kShrinkQueryResponse = 5,
  kShrinkErrorResponse = 6,
  kPartitionQuery = 7,
  kPartitionQueryResponse = 8,
  kClusterStatusQuery = 9,
  kClusterStatusQueryResponse = 10,
  kClusterStatusQueryResponseNotInitialized = 11,
  kPartitionCountQuery = 12,
  kPartitionCountQueryResponse = 13,
  kSourceIdsQuery = 14,
  kSourceIdsQueryResponse = 15,
};

inline constexpr std::size_t kExternalLengthSize = 4;  // u32 L
inline constexpr std::size_t kExternalTypeSize = 2;    // u16 type; so L >= 2 in every valid frame
inline constexpr std::size_t kExternalHeaderSize = kExternalLengthSize + kExternalTypeSize;

}  // namespace harness
