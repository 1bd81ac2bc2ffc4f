#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

#include "protocol/host_address.h"

namespace rocketmq::protocol {

// The broker-assigned "offset msgId" (docs/protocol.md §6.3): upper-case hex of store host IP + int32 port +
// int64 commit-log offset; 32 chars for IPv4, 56 for IPv6. Throws ClientError unless the address has
// 4 or 16 bytes.
std::string make_offset_msg_id(const HostAddress& store_host, std::int64_t commit_log_offset);

struct OffsetMessageId {
  HostAddress store_host;
  std::int64_t commit_log_offset = 0;
};

// Inverse of make_offset_msg_id (hex digits of either case). Throws ProtocolError unless the id has
// 32 or 56 hex digits.
OffsetMessageId decode_offset_msg_id(std::string_view msg_id);

// Generates UNIQ_KEY client message ids in the Java client's layout
// (COMMON/message/MessageClientIDSetter.java): hex of IP bytes + int16 pid + int32 per-process random
// + int32 milliseconds since the start of the current month (local time) + int16 counter, i.e. 32 hex
// chars for an IPv4 address. Thread-safe.
class UniqueIdGenerator {
 public:
  // Uses the first non-loopback IPv4 address of this host (127.0.0.1 if there is none).
  UniqueIdGenerator();
  // `ip_bytes` must hold 4 or 16 bytes (ClientError otherwise); for tests and explicit configuration.
  explicit UniqueIdGenerator(std::string ip_bytes);

  // The process-wide generator; ids from it are unique across all producers of the process.
  static UniqueIdGenerator& instance();

  std::string next();

  // The fixed hex prefix (IP + pid + random), identical for every id of this generator.
  const std::string& prefix() const noexcept { return prefix_; }

 private:
  void start_month_containing(std::int64_t now_ms);

  std::string prefix_;
  std::mutex mutex_;
  std::int64_t month_start_ms_ = 0;
  std::int64_t next_month_start_ms_ = 0;
  std::uint16_t counter_ = 0;
};

// Upper-case hex of raw bytes (UtilAll.bytes2string).
std::string to_upper_hex(std::string_view bytes);

}  // namespace rocketmq::protocol
