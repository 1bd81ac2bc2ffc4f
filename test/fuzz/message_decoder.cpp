// Fuzz target: the stored-message decoder that reads PULL / QUERY / VIEW bodies from brokers: single
// records and concatenated ones, V1/V2 magic, IPv4 and IPv6 hosts, inner batches, zlib/lz4/zstd
// bodies, the properties string and offset msgIds. The limits are far below the defaults so that a
// compression bomb or a huge batch is rejected quickly instead of using the fuzzer's memory budget.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "protocol/compression.h"
#include "protocol/message_decoder.h"
#include "protocol/message_id.h"
#include "protocol/message_properties.h"
#include "rocketmq/error.h"

namespace {

using rocketmq::ClientError;
using rocketmq::ProtocolError;
namespace p = rocketmq::protocol;

constexpr std::size_t kMaxBodySize = 1 << 20;
constexpr std::size_t kMaxTotalSize = 4 << 20;
constexpr std::size_t kMaxMessages = 4096;

// A record decoded without decompression is re-encoded and must decode to the same message.
void check_round_trip(const p::StoredMessage& message) {
  std::string record;
  try {
    record = p::encode_stored_message(message);
  } catch (const ClientError&) {
    return;  // e.g. a property value holding a 0x01 byte, which the encoder refuses
  }
  const p::StoredMessage again = p::decode_message(record, false);
  FUZZ_CHECK(again.topic == message.topic);
  FUZZ_CHECK(again.body == message.body);
  FUZZ_CHECK(again.properties == message.properties);
  FUZZ_CHECK(again.queue_offset == message.queue_offset);
  FUZZ_CHECK(again.born_host == message.born_host);
  FUZZ_CHECK(again.store_host == message.store_host);
  FUZZ_CHECK(again.msg_id == message.msg_id);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  try {
    const auto messages = p::decode_messages(input, true, kMaxBodySize, kMaxTotalSize, kMaxMessages);
    FUZZ_CHECK(messages.size() <= kMaxMessages);
    std::size_t total = 0;
    for (const auto& message : messages) total += message.body.size();
    // Plain bodies are slices of the input; only decompressed bytes count against the budget.
    FUZZ_CHECK(total <= kMaxTotalSize + input.size());
  } catch (const ProtocolError&) {
  }
  {
    // The push consumer's decode never throws on content: bad records are reported, never fatal,
    // and there is at most one report per record plus one for an untrusted tail.
    std::vector<p::RejectedRecord> rejected;
    const auto kept = p::decode_messages_skipping_bad(input, rejected, kMaxBodySize, kMaxTotalSize, kMaxMessages);
    FUZZ_CHECK(kept.size() <= kMaxMessages);
    FUZZ_CHECK(rejected.size() <= input.size() / 91 + 1);
    // Lazily: the same records kept and rejected, and each one materializes to what the full
    // decode gave (the deferred part cannot fail).
    std::vector<p::RejectedRecord> lazy_rejected;
    auto lazy = p::decode_messages_skipping_bad(input, lazy_rejected, kMaxBodySize, kMaxTotalSize, kMaxMessages, true);
    FUZZ_CHECK(lazy.size() == kept.size());
    FUZZ_CHECK(lazy_rejected.size() == rejected.size());
    for (std::size_t i = 0; i < lazy.size() && i < kept.size(); ++i) {
      FUZZ_CHECK(lazy[i].body_size() == kept[i].body.size());
      p::materialize_lazy_fields(lazy[i]);
      FUZZ_CHECK(lazy[i].body == kept[i].body);
      FUZZ_CHECK(lazy[i].topic == kept[i].topic);
      FUZZ_CHECK(lazy[i].properties == kept[i].properties);
      FUZZ_CHECK(lazy[i].msg_id == kept[i].msg_id);
      FUZZ_CHECK(lazy[i].queue_offset == kept[i].queue_offset);
    }
  }
  try {
    for (const auto& message : p::decode_messages(input, false, kMaxBodySize, kMaxTotalSize, kMaxMessages)) {
      check_round_trip(message);
    }
  } catch (const ProtocolError&) {
  }
  try {
    (void)p::decode_message(input, true, kMaxBodySize);
  } catch (const ProtocolError&) {
  }
  for (const auto type : {p::CompressionType::kZlib, p::CompressionType::kLz4, p::CompressionType::kZstd}) {
    try {
      FUZZ_CHECK(p::decompress(type, input, kMaxBodySize).size() <= kMaxBodySize);
    } catch (const ProtocolError&) {
    }
  }
  (void)p::decode_properties(input);
  try {
    const p::OffsetMessageId id = p::decode_offset_msg_id(input);
    FUZZ_CHECK(p::make_offset_msg_id(id.store_host, id.commit_log_offset).size() == input.size());
  } catch (const ProtocolError&) {
  }
  return 0;
}
