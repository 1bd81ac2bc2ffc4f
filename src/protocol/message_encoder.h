#pragma once

#include <string>
#include <vector>

#include "protocol/outgoing_message.h"

namespace rocketmq::protocol {

// The SEND_BATCH_MESSAGE body (docs/protocol.md §6.6, MessageDecoder.encodeMessages): per message
// int32 totalSize, int32 magic 0, int32 bodyCRC 0, int32 flag, int32 bodyLen + body, int16 propLen +
// properties. Only the layout is done here; the batch rules (same topic and WAIT, no DELAY or retry
// topic, UNIQ_KEY per message, size limit) are the producer's business. Throws ClientError if a
// properties string exceeds 32767 bytes or a message exceeds the int32 range.
std::string encode_batch_body(const std::vector<OutgoingMessage>& messages);

}  // namespace rocketmq::protocol
