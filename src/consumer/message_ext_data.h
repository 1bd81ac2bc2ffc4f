#pragma once

#include <memory>
#include <string>

#include "protocol/stored_message.h"
#include "rocketmq/message_ext.h"

namespace rocketmq::detail {

// What a MessageExt shares between its copies. Built once per pulled message and never modified
// afterwards, which is what lets copies on different threads share it without locking.
struct MessageExtData {
  protocol::StoredMessage stored;
  std::string broker_name;
  // The topic the application subscribed to: the RETRY_TOPIC property for a message redelivered
  // through %RETRY%<group>. Empty when it is stored.topic (MessageExt::get_topic() then returns
  // that), which spares the pull path a copy per message.
  std::string topic;
};

// The SDK's way in and out of MessageExt's private data (MessageExt befriends this struct).
struct MessageExtAccess {
  // A null `data` yields a MessageExt equal to a default-constructed one.
  static MessageExt make(std::shared_ptr<const MessageExtData> data);
  static const MessageExtData& data(const MessageExt& message) noexcept;
};

}  // namespace rocketmq::detail
