#pragma once

#include <cstdint>
#include <string>

#include "protocol/message_properties.h"

namespace rocketmq::protocol {

// A message as the producer sends it (docs/protocol.md §6.5): the topic travels in the request header, the
// rest in the body or the header's properties string.
struct OutgoingMessage {
  std::string topic;
  std::string body;
  std::int32_t flag = 0;
  MessageProperties properties;
};

}  // namespace rocketmq::protocol
