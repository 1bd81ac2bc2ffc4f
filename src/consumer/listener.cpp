#include "rocketmq/message_listener.h"

namespace rocketmq {

// Out of line so that each listener's vtable and typeinfo live in librocketmq (one copy, exported)
// rather than in every translation unit that derives from it.
MessageListenerConcurrently::~MessageListenerConcurrently() = default;
MessageListenerOrderly::~MessageListenerOrderly() = default;

}  // namespace rocketmq
