#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "protocol/message_queue_data.h"

namespace rocketmq {
namespace protocol {

// RESET_CONSUMER_CLIENT_OFFSET body (docs/protocol.md §7.6).
struct ResetOffsetBody {
  std::map<MessageQueue, int64_t> offset_table;

  // Accepts both `ResetOffsetBody` ({"offsetTable":{{mq}:offset}}, object keys) and
  // `ResetOffsetBodyForC` ({"offsetTable":[{"brokerName":..,"offset":..,"queueId":..,"topic":..}]}).
  static ResetOffsetBody decode(std::string_view json);
  // The fastjson object-key form (what a Java broker sends to non-CPP clients).
  std::string encode() const;
  // The array form (what a broker sends when the admin spoke CPP).
  std::string encode_for_c() const;
};

}  // namespace protocol
}  // namespace rocketmq
