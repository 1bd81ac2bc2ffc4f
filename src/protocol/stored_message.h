#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/host_address.h"
#include "protocol/message_properties.h"

namespace rocketmq::protocol {

// One message record as the broker stores and serves it (docs/protocol.md §6.1), in field order, plus the
// values the client derives from it.
struct StoredMessage {
  std::int32_t store_size = 0;  // TOTALSIZE of the record
  std::int32_t body_crc = 0;    // crc32 of the stored (possibly compressed) body & 0x7FFFFFFF
  std::int32_t queue_id = 0;
  std::int32_t flag = 0;
  std::int64_t queue_offset = 0;
  std::int64_t commit_log_offset = 0;
  // As stored. After decoding with decompression the body is plain although COMPRESSED_FLAG stays set.
  std::int32_t sys_flag = 0;
  std::int64_t born_timestamp = 0;
  HostAddress born_host;
  std::int64_t store_timestamp = 0;
  HostAddress store_host;
  std::int32_t reconsume_times = 0;
  std::int64_t prepared_transaction_offset = 0;
  std::string body;
  std::string topic;
  MessageProperties properties;

  // Derived by the decoder (ignored by the encoder).
  std::string msg_id;         // UNIQ_KEY if present, else offset_msg_id (Java MessageClientExt.getMsgId)
  std::string offset_msg_id;  // store host + commit-log offset (§6.3)
  std::string tags;           // TAGS property, empty if absent
  std::string keys;           // KEYS property verbatim (space-separated), empty if absent

  // A lazy decode (decode_messages_skipping_bad with `lazy`) of a plain record fills only the fixed
  // fields above and leaves body, topic and properties where they are in the response buffer:
  // these views, valid while that buffer lives. materialize_lazy_fields() then fills the strings and
  // the derived fields from them. A push consumer's listener that reads none of them (or only some
  // messages' bodies) is spared the allocations, which were most of the I/O thread's decode cost.
  bool lazy = false;
  std::string_view lazy_body;
  std::string_view lazy_topic;
  std::string_view lazy_properties;

  // The body's size whether or not it is materialized yet.
  std::size_t body_size() const noexcept { return lazy ? lazy_body.size() : body.size(); }
};

// Fills body, topic, properties, msg_id, offset_msg_id, tags and keys of a lazily decoded message
// from its views (which must still be valid). Cannot fail on malformed properties (as
// decode_properties); a message that is not lazy is left as it is.
void materialize_lazy_fields(StoredMessage& message);
// The two halves of it, for a caller that needs the properties (a filter) but not the body:
// topic, properties and the derived fields; and the body alone.
void materialize_lazy_properties(StoredMessage& message);
void materialize_lazy_body(StoredMessage& message);

}  // namespace rocketmq::protocol
