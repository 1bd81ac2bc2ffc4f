#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/compression.h"
#include "protocol/stored_message.h"

namespace rocketmq::protocol {

// A response's frame is at most 16 MiB, but compressed bodies can expand far beyond it: besides the
// per-body limit, all bodies decompressed from one response share this budget.
inline constexpr std::size_t kDefaultMaxTotalDecompressedSize = 256 * 1024 * 1024;
// Messages decoded from one response, inner batch messages included. 64 times the largest pull
// batch of the Java client (1024); an inner batch of 22-byte messages could otherwise turn one
// decompressed body into millions of StoredMessage objects. No uncompressed 16 MiB frame can reach
// it with plain records (91 bytes each at least) either.
inline constexpr std::size_t kDefaultMaxMessagesPerResponse = 64 * 1024;

// Decodes a PULL / QUERY / VIEW body: concatenated stored records (V1 or V2 magic, IPv4 or IPv6
// hosts). With `decompress_body`, compressed bodies are decompressed by their sysFlag type (at most
// `max_body_size` bytes each, `max_total_decompressed_size` bytes for all of them together). Records
// flagged INNER_BATCH|NEED_UNWRAP are unwrapped into their inner messages (batch layout §6.6, queue
// offsets outer + index, NEED_UNWRAP cleared) unless the body is compressed and `decompress_body` is
// false. Throws ProtocolError naming the record offset for anything malformed: TOTALSIZE that is too
// small, exceeds the buffer or disagrees with the fields, unknown magic, negative lengths, corrupt
// compressed bodies, a limit exceeded (bytes decompressed, or more than `max_messages` messages).
std::vector<StoredMessage> decode_messages(
    std::string_view body, bool decompress_body = true,
    std::size_t max_body_size = kDefaultMaxDecompressedSize,
    std::size_t max_total_decompressed_size = kDefaultMaxTotalDecompressedSize,
    std::size_t max_messages = kDefaultMaxMessagesPerResponse);

// A record of a pull body that could not be decoded (decode_messages_skipping_bad).
struct RejectedRecord {
  std::int64_t queue_offset = -1;       // -1 when even the record's fixed fields are unreadable
  std::int64_t commit_log_offset = -1;  // what a send-back to the dead-letter queue needs
  std::string reason;
};

// decode_messages, except that a record which cannot be decoded (corrupt fields, unknown or corrupt
// compression, a decompression limit exceeded) is skipped and reported in `rejected` instead of
// failing the whole body; a TOTALSIZE that cannot be trusted, or the message limit, ends the body
// there (one rejection for the rest). What a push consumer uses, so one bad record never wedges a queue.
// With `lazy`, plain records (neither compressed nor an inner batch) come back as StoredMessage::lazy
// views into `body`, which the caller must keep alive for as long as they are used; compressed
// records and inner batches are decoded in full as without it. Nothing a lazy record defers can fail
// (properties decode leniently), so the same records are rejected either way.
std::vector<StoredMessage> decode_messages_skipping_bad(
    std::string_view body, std::vector<RejectedRecord>& rejected,
    std::size_t max_body_size = kDefaultMaxDecompressedSize,
    std::size_t max_total_decompressed_size = kDefaultMaxTotalDecompressedSize,
    std::size_t max_messages = kDefaultMaxMessagesPerResponse, bool lazy = false);

// Decodes exactly one record occupying all of `record`; never unwraps inner batches.
StoredMessage decode_message(std::string_view record, bool decompress_body = true,
                             std::size_t max_body_size = kDefaultMaxDecompressedSize);

// Writes `message` in the stored format with the V1 magic (V2 when the topic exceeds 127 bytes). The
// body is written as given (compress it first and set the sysFlag bits for a compressed record);
// TOTALSIZE and BODYCRC are computed and the host IPv6 flags are set from the address sizes, other
// fields are taken verbatim. Throws ClientError for host addresses that are not 4 or 16 bytes, or a
// topic or properties string too long for its length field.
std::string encode_stored_message(const StoredMessage& message);

}  // namespace rocketmq::protocol
