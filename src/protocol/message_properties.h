#pragma once

#include <map>
#include <string>
#include <string_view>

namespace rocketmq::protocol {

// Message properties by name. Ordered so that encoding is deterministic (handy for tests and for
// comparing what a fake broker stored).
using MessageProperties = std::map<std::string, std::string>;

// Encodes `name 0x01 value 0x02` per property, with the trailing 0x02 after the last pair
// (MessageDecoder.messageProperties2String). Throws ClientError if a name is empty or a name or value
// contains a separator byte (0x01/0x02), since the peer could not split such a string back.
std::string encode_properties(const MessageProperties& properties);

// Decodes a properties string with the Java rules (MessageDecoder.string2messageProperties): split on
// 0x02 (a missing trailing 0x02 is fine), keep segments of at least 3 bytes whose first 0x01 is
// neither the first nor the last byte, silently skip the others; the value is everything after the
// first 0x01. A repeated name keeps its last value. Never throws on content.
MessageProperties decode_properties(std::string_view encoded);

}  // namespace rocketmq::protocol
