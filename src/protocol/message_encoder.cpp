#include "protocol/message_encoder.h"

#include <cstdint>
#include <limits>

#include "common/byte_buffer.h"
#include "rocketmq/error.h"

namespace rocketmq::protocol {

std::string encode_batch_body(const std::vector<OutgoingMessage>& messages) {
  constexpr std::size_t kFixedSize = 4 + 4 + 4 + 4 + 4 + 2;
  std::string batch;
  common::ByteWriter writer(batch);
  for (const OutgoingMessage& message : messages) {
    const std::string properties = encode_properties(message.properties);
    if (properties.size() > static_cast<std::size_t>(std::numeric_limits<std::int16_t>::max())) {
      throw ClientError("message properties exceed 32767 bytes: " + std::to_string(properties.size()));
    }
    const std::size_t total_size = kFixedSize + message.body.size() + properties.size();
    if (total_size > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max())) {
      throw ClientError("message too large for a batch: " + std::to_string(total_size) + " bytes");
    }
    writer.write_i32(static_cast<std::int32_t>(total_size));
    writer.write_i32(0);  // magic code, ignored by the broker
    writer.write_i32(0);  // body CRC, recomputed by the broker
    writer.write_i32(message.flag);
    writer.write_i32(static_cast<std::int32_t>(message.body.size()));
    writer.write_bytes(message.body);
    writer.write_i16(static_cast<std::int16_t>(properties.size()));
    writer.write_bytes(properties);
  }
  return batch;
}

}  // namespace rocketmq::protocol
