#include "protocol/message_decoder.h"

#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <limits>
#include <utility>

#include "common/byte_buffer.h"
#include "protocol/message_const.h"
#include "protocol/message_id.h"
#include "rocketmq/error.h"

namespace rocketmq::protocol {
namespace {

using common::ByteReader;
using common::ByteWriter;

// V1 magic, IPv4 hosts, empty body, topic and properties: 84 fixed bytes + 4 + 1 + 2.
constexpr std::int32_t kMinimumRecordSize = 91;
constexpr std::int32_t kUnwrapFlags = sys_flag::kInnerBatch | sys_flag::kNeedUnwrap;
constexpr std::size_t kMaxV1TopicLength = 127;

std::string hex32(std::int32_t value) {
  char text[11];
  std::snprintf(text, sizeof(text), "0x%08X", static_cast<unsigned>(value));
  return text;
}

HostAddress read_host(ByteReader& reader, bool ipv6, const char* what) {
  HostAddress host;
  host.ip_bytes = std::string(reader.read_view(ipv6 ? 16 : 4, what));
  host.port = reader.read_i32(what);
  return host;
}

std::size_t read_length(std::int64_t length, const char* what) {
  if (length < 0) throw ProtocolError(std::string("negative ") + what + ": " + std::to_string(length));
  return static_cast<std::size_t>(length);
}

// What one decode_messages call may still produce; shared by all records of a response so that a
// response cannot multiply the per-body limits by its record count.
struct DecodeBudget {
  std::size_t max_body_size;
  std::size_t max_total_decompressed_size;
  std::size_t decompressed_left;
  std::size_t max_messages;
};

void require_room_for_message(const std::vector<StoredMessage>& out, const DecodeBudget& budget) {
  if (out.size() >= budget.max_messages) {
    throw ProtocolError("more than " + std::to_string(budget.max_messages) + " messages in one response");
  }
}

std::string decompress_within(std::int32_t sys_flag, std::string_view stored_body, DecodeBudget& budget) {
  // The per-body limit bounds the allocation; the total is checked afterwards, so at most one body
  // beyond the budget is ever held.
  std::string plain =
      protocol::decompress(compression_type_from_sys_flag(sys_flag), stored_body, budget.max_body_size);
  if (plain.size() > budget.decompressed_left) {
    throw ProtocolError("decompressed bodies of one response exceed " +
                        std::to_string(budget.max_total_decompressed_size) + " bytes in total");
  }
  budget.decompressed_left -= plain.size();
  return plain;
}

// Queue offsets come from the peer; Java's long arithmetic wraps, signed overflow in C++ is undefined.
std::int64_t add_wrapping(std::int64_t base, std::int64_t delta) {
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(base) + static_cast<std::uint64_t>(delta));
}

std::string property_or_empty(const MessageProperties& properties, const char* name) {
  const auto found = properties.find(name);
  return found == properties.end() ? std::string() : found->second;
}

// Takes the offset msg id by value: a single record moves its freshly formatted id in, an inner
// batch copies the outer one (one allocation less per message on the I/O thread).
void fill_derived_fields(StoredMessage& message, std::string offset_msg_id) {
  message.tags = property_or_empty(message.properties, message_property::kTags);
  message.keys = property_or_empty(message.properties, message_property::kKeys);
  const auto uniq_key = message.properties.find(message_property::kUniqKey);
  if (uniq_key != message.properties.end() && !uniq_key->second.empty()) {
    message.msg_id = uniq_key->second;
  } else {
    message.msg_id = offset_msg_id;
  }
  message.offset_msg_id = std::move(offset_msg_id);
}

// Records in a response body, by hopping over TOTALSIZE fields (stops at the first one that
// cannot be trusted; decoding reports it). Lets the result vector be sized once instead of growing
// by reallocation and moving every decoded message, which showed in the I/O thread's profile.
std::size_t count_records(std::string_view body, std::size_t max_messages) {
  std::size_t count = 0;
  std::size_t offset = 0;
  while (body.size() - offset >= 4 && count < max_messages) {
    const std::int32_t total_size = ByteReader(body.substr(offset, 4)).read_i32("TOTALSIZE");
    if (total_size < kMinimumRecordSize || static_cast<std::size_t>(total_size) > body.size() - offset) break;
    offset += static_cast<std::size_t>(total_size);
    ++count;
  }
  return count;
}

// The context of an error in the record at `offset`; built only when there is an error (it used
// to be formatted for every record: two allocations per message on the I/O thread).
std::string record_prefix(const char* unit, std::size_t offset) {
  return std::string("message record at ") + unit + " " + std::to_string(offset) + ": ";
}

// Splits an inner batch (the §6.6 layout) into messages that inherit the outer record's metadata.
void unwrap_inner_batch(const StoredMessage& outer, std::string_view batch, const DecodeBudget& budget,
                        std::vector<StoredMessage>& out) {
  ByteReader reader(batch);
  std::int64_t index = 0;
  while (!reader.empty()) {
    require_room_for_message(out, budget);
    const std::size_t start = reader.position();
    StoredMessage inner;
    inner.store_size = reader.read_i32("inner TOTALSIZE");
    reader.skip(4, "inner MAGICCODE");
    inner.body_crc = reader.read_i32("inner BODYCRC");
    inner.flag = reader.read_i32("inner FLAG");
    const std::size_t body_length = read_length(reader.read_i32("inner BODY length"), "inner BODY length");
    const std::string_view body = reader.read_view(body_length, "inner BODY");
    const std::size_t properties_length =
        read_length(reader.read_i16("inner PROPERTIES length"), "inner PROPERTIES length");
    const std::string_view properties = reader.read_view(properties_length, "inner PROPERTIES");
    const std::size_t parsed_size = reader.position() - start;
    if (static_cast<std::int64_t>(inner.store_size) != static_cast<std::int64_t>(parsed_size)) {
      throw ProtocolError("inner message " + std::to_string(index) + " at batch offset " +
                          std::to_string(start) + " has TOTALSIZE " + std::to_string(inner.store_size) +
                          " but its fields take " + std::to_string(parsed_size) + " bytes");
    }
    inner.body.assign(body.data(), body.size());
    inner.properties = decode_properties(properties);
    inner.topic = outer.topic;
    inner.queue_id = outer.queue_id;
    inner.queue_offset = add_wrapping(outer.queue_offset, index);
    inner.commit_log_offset = outer.commit_log_offset;
    // Clearing NEED_UNWRAP marks the messages as already unwrapped; INNER_BATCH records their origin.
    inner.sys_flag = outer.sys_flag & ~sys_flag::kNeedUnwrap;
    inner.born_timestamp = outer.born_timestamp;
    inner.born_host = outer.born_host;
    inner.store_timestamp = outer.store_timestamp;
    inner.store_host = outer.store_host;
    inner.reconsume_times = outer.reconsume_times;
    inner.prepared_transaction_offset = outer.prepared_transaction_offset;
    fill_derived_fields(inner, outer.offset_msg_id);
    out.push_back(std::move(inner));
    ++index;
  }
}

// Decodes the record that occupies all of `record` and appends it (or its unwrapped inner messages).
void decode_record(std::string_view record, bool decompress_body, bool allow_unwrap, bool lazy,
                   DecodeBudget& budget, std::vector<StoredMessage>& out) {
  ByteReader reader(record);
  StoredMessage message;
  message.store_size = reader.read_i32("TOTALSIZE");
  if (static_cast<std::int64_t>(message.store_size) != static_cast<std::int64_t>(record.size())) {
    throw ProtocolError("TOTALSIZE " + std::to_string(message.store_size) + " but the record has " +
                        std::to_string(record.size()) + " bytes");
  }
  const std::int32_t magic = reader.read_i32("MAGICCODE");
  if (magic != kMessageMagicCodeV1 && magic != kMessageMagicCodeV2) {
    throw ProtocolError("unknown message magic code " + hex32(magic));
  }
  message.body_crc = reader.read_i32("BODYCRC");
  message.queue_id = reader.read_i32("QUEUEID");
  message.flag = reader.read_i32("FLAG");
  message.queue_offset = reader.read_i64("QUEUEOFFSET");
  message.commit_log_offset = reader.read_i64("PHYSICALOFFSET");
  message.sys_flag = reader.read_i32("SYSFLAG");
  message.born_timestamp = reader.read_i64("BORNTIMESTAMP");
  message.born_host = read_host(reader, (message.sys_flag & sys_flag::kBornHostV6) != 0, "BORNHOST");
  message.store_timestamp = reader.read_i64("STORETIMESTAMP");
  message.store_host =
      read_host(reader, (message.sys_flag & sys_flag::kStoreHostV6) != 0, "STOREHOSTADDRESS");
  message.reconsume_times = reader.read_i32("RECONSUMETIMES");
  message.prepared_transaction_offset = reader.read_i64("PREPAREDTRANSACTIONOFFSET");
  const std::string_view stored_body =
      reader.read_view(read_length(reader.read_i32("BODY length"), "BODY length"), "BODY");
  const std::int64_t topic_length =
      magic == kMessageMagicCodeV1 ? reader.read_i8("TOPIC length") : reader.read_i16("TOPIC length");
  const std::string_view topic = reader.read_view(read_length(topic_length, "TOPIC length"), "TOPIC");
  const std::string_view properties =
      reader.read_view(read_length(reader.read_i16("PROPERTIES length"), "PROPERTIES length"), "PROPERTIES");
  if (!reader.empty()) {
    throw ProtocolError("TOTALSIZE " + std::to_string(message.store_size) + " but the fields end after " +
                        std::to_string(reader.position()) + " bytes");
  }
  if (lazy && !is_compressed(message.sys_flag) && (message.sys_flag & kUnwrapFlags) != kUnwrapFlags) {
    require_room_for_message(out, budget);
    message.lazy = true;
    message.lazy_body = stored_body;
    message.lazy_topic = topic;
    message.lazy_properties = properties;
    out.push_back(std::move(message));
    return;
  }
  message.topic.assign(topic.data(), topic.size());
  message.properties = decode_properties(properties);
  fill_derived_fields(message, make_offset_msg_id(message.store_host, message.commit_log_offset));

  // Like the Java decoder, an empty body is never decompressed.
  const bool decompress = decompress_body && is_compressed(message.sys_flag) && !stored_body.empty();
  const bool body_is_plain = decompress || !is_compressed(message.sys_flag);
  if (allow_unwrap && body_is_plain && (message.sys_flag & kUnwrapFlags) == kUnwrapFlags) {
    if (decompress) {
      const std::string batch = decompress_within(message.sys_flag, stored_body, budget);
      unwrap_inner_batch(message, batch, budget, out);
    } else {
      unwrap_inner_batch(message, stored_body, budget, out);
    }
    return;
  }
  require_room_for_message(out, budget);
  if (decompress) {
    message.body = decompress_within(message.sys_flag, stored_body, budget);
  } else {
    message.body.assign(stored_body.data(), stored_body.size());
  }
  out.push_back(std::move(message));
}

std::int32_t body_crc32(std::string_view body) {
  uLong crc = crc32(0L, Z_NULL, 0);
  // zlib takes uInt lengths; feed large bodies in pieces.
  while (!body.empty()) {
    const auto piece =
        static_cast<uInt>(std::min<std::size_t>(body.size(), std::numeric_limits<uInt>::max()));
    crc = crc32(crc, reinterpret_cast<const Bytef*>(body.data()), piece);
    body.remove_prefix(piece);
  }
  return static_cast<std::int32_t>(crc & 0x7FFFFFFF);
}

void require_host(const HostAddress& host, const char* what) {
  if (host.ip_bytes.size() != 4 && host.ip_bytes.size() != 16) {
    throw ClientError(std::string(what) + " must have a 4 or 16 byte IP address, got " +
                      std::to_string(host.ip_bytes.size()));
  }
}

}  // namespace

std::vector<StoredMessage> decode_messages(std::string_view body, bool decompress_body,
                                           std::size_t max_body_size, std::size_t max_total_decompressed_size,
                                           std::size_t max_messages) {
  DecodeBudget budget{max_body_size, max_total_decompressed_size, max_total_decompressed_size, max_messages};
  std::vector<StoredMessage> messages;
  messages.reserve(count_records(body, max_messages));
  std::size_t offset = 0;
  while (offset < body.size()) {
    const std::size_t remaining = body.size() - offset;
    const auto prefix = [offset] { return record_prefix("offset", offset); };
    if (remaining < 4) {
      throw ProtocolError(prefix() + "truncated TOTALSIZE (" + std::to_string(remaining) + " bytes left)");
    }
    const std::int32_t total_size = ByteReader(body.substr(offset, 4)).read_i32("TOTALSIZE");
    if (total_size < kMinimumRecordSize) {
      throw ProtocolError(prefix() + "TOTALSIZE " + std::to_string(total_size) + " is below the minimum " +
                          std::to_string(kMinimumRecordSize));
    }
    if (static_cast<std::size_t>(total_size) > remaining) {
      throw ProtocolError(prefix() + "TOTALSIZE " + std::to_string(total_size) + " exceeds the " +
                          std::to_string(remaining) + " bytes left in the body");
    }
    try {
      decode_record(body.substr(offset, static_cast<std::size_t>(total_size)), decompress_body, true, false,
                    budget, messages);
    } catch (const ProtocolError& error) {
      throw ProtocolError(prefix() + error.what());
    }
    offset += static_cast<std::size_t>(total_size);
  }
  return messages;
}

std::vector<StoredMessage> decode_messages_skipping_bad(std::string_view body, std::vector<RejectedRecord>& rejected,
                                                        std::size_t max_body_size,
                                                        std::size_t max_total_decompressed_size,
                                                        std::size_t max_messages, bool lazy) {
  DecodeBudget budget{max_body_size, max_total_decompressed_size, max_total_decompressed_size, max_messages};
  std::vector<StoredMessage> messages;
  messages.reserve(count_records(body, max_messages));
  std::size_t offset = 0;
  // QUEUEOFFSET and PHYSICALOFFSET sit at fixed positions of every record version.
  constexpr std::size_t kQueueOffsetAt = 20;
  constexpr std::size_t kCommitLogOffsetAt = 28;
  while (offset < body.size()) {
    const std::size_t remaining = body.size() - offset;
    const auto prefix = [offset] { return record_prefix("byte", offset); };
    RejectedRecord bad;
    std::int32_t total_size = 0;
    if (remaining >= 4) total_size = ByteReader(body.substr(offset, 4)).read_i32("TOTALSIZE");
    if (remaining < 4 || total_size < kMinimumRecordSize || static_cast<std::size_t>(total_size) > remaining) {
      bad.reason = prefix() + "TOTALSIZE " + std::to_string(total_size) + " cannot be trusted (" +
                   std::to_string(remaining) + " bytes left); the rest of the body is skipped";
      rejected.push_back(std::move(bad));
      break;
    }
    const auto record = body.substr(offset, static_cast<std::size_t>(total_size));
    const std::size_t before = messages.size();
    try {
      decode_record(record, true, true, lazy, budget, messages);
    } catch (const ProtocolError& error) {
      messages.resize(before);  // an inner batch half unwrapped counts as undecodable
      bad.queue_offset = ByteReader(record.substr(kQueueOffsetAt, 8)).read_i64("QUEUEOFFSET");
      bad.commit_log_offset = ByteReader(record.substr(kCommitLogOffsetAt, 8)).read_i64("PHYSICALOFFSET");
      bad.reason = prefix() + error.what();
      rejected.push_back(std::move(bad));
      if (messages.size() >= max_messages) break;
    }
    offset += static_cast<std::size_t>(total_size);
  }
  return messages;
}

StoredMessage decode_message(std::string_view record, bool decompress_body, std::size_t max_body_size) {
  DecodeBudget budget{max_body_size, max_body_size, max_body_size, 1};
  std::vector<StoredMessage> decoded;
  decode_record(record, decompress_body, false, false, budget, decoded);
  return std::move(decoded.front());
}

void materialize_lazy_properties(StoredMessage& message) {
  if (!message.lazy) return;
  message.topic.assign(message.lazy_topic.data(), message.lazy_topic.size());
  message.properties = decode_properties(message.lazy_properties);
  fill_derived_fields(message, make_offset_msg_id(message.store_host, message.commit_log_offset));
}

void materialize_lazy_body(StoredMessage& message) {
  if (message.lazy) message.body.assign(message.lazy_body.data(), message.lazy_body.size());
}

void materialize_lazy_fields(StoredMessage& message) {
  materialize_lazy_properties(message);
  materialize_lazy_body(message);
}

std::string encode_stored_message(const StoredMessage& message) {
  require_host(message.born_host, "born host");
  require_host(message.store_host, "store host");
  const bool v2 = message.topic.size() > kMaxV1TopicLength;
  if (message.topic.size() > static_cast<std::size_t>(std::numeric_limits<std::int16_t>::max())) {
    throw ClientError("topic too long for a stored message: " + std::to_string(message.topic.size()) +
                      " bytes");
  }
  const std::string properties = encode_properties(message.properties);
  if (properties.size() > static_cast<std::size_t>(std::numeric_limits<std::int16_t>::max())) {
    throw ClientError("properties too long for a stored message: " + std::to_string(properties.size()) +
                      " bytes");
  }
  if (message.body.size() > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max())) {
    throw ClientError("body too long for a stored message");
  }
  std::int32_t sys_flag = message.sys_flag & ~(sys_flag::kBornHostV6 | sys_flag::kStoreHostV6);
  if (message.born_host.is_ipv6()) sys_flag |= sys_flag::kBornHostV6;
  if (message.store_host.is_ipv6()) sys_flag |= sys_flag::kStoreHostV6;

  std::string record;
  ByteWriter writer(record);
  writer.write_i32(0);  // TOTALSIZE, patched below
  writer.write_i32(v2 ? kMessageMagicCodeV2 : kMessageMagicCodeV1);
  writer.write_i32(body_crc32(message.body));
  writer.write_i32(message.queue_id);
  writer.write_i32(message.flag);
  writer.write_i64(message.queue_offset);
  writer.write_i64(message.commit_log_offset);
  writer.write_i32(sys_flag);
  writer.write_i64(message.born_timestamp);
  writer.write_bytes(message.born_host.ip_bytes);
  writer.write_i32(message.born_host.port);
  writer.write_i64(message.store_timestamp);
  writer.write_bytes(message.store_host.ip_bytes);
  writer.write_i32(message.store_host.port);
  writer.write_i32(message.reconsume_times);
  writer.write_i64(message.prepared_transaction_offset);
  writer.write_i32(static_cast<std::int32_t>(message.body.size()));
  writer.write_bytes(message.body);
  if (v2) {
    writer.write_i16(static_cast<std::int16_t>(message.topic.size()));
  } else {
    writer.write_i8(static_cast<std::int8_t>(message.topic.size()));
  }
  writer.write_bytes(message.topic);
  writer.write_i16(static_cast<std::int16_t>(properties.size()));
  writer.write_bytes(properties);
  if (record.size() > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max())) {
    throw ClientError("stored message too large");
  }
  writer.patch_i32(0, static_cast<std::int32_t>(record.size()));
  return record;
}

}  // namespace rocketmq::protocol
