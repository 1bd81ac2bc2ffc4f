#pragma once

#include <string>

#include "protocol/bodies/heartbeat_data.h"
#include "protocol/stored_message.h"
#include "rocketmq/message_selector.h"

namespace rocketmq::filter {

// The one place where subscription expressions are interpreted: what the broker is asked for
// (SubscriptionData in heartbeats and pulls) and what the client re-checks after the broker's
// filter. Tag expressions: "*" or "" (everything), "a || b" (tags trimmed; Java String.hashCode
// codes for the broker's hash filter, exact tag strings re-checked here because hashes collide).
// SQL92 expressions are evaluated by the broker.
//
// Throws ClientError naming the expression when it cannot be used.
protocol::SubscriptionData build_subscription(const std::string& topic, const std::string& expression,
                                              ExpressionType type);

// Whether a message the broker delivered really matches (tag strings; the broker only compared hashes).
bool matches(const protocol::SubscriptionData& subscription, const protocol::StoredMessage& message);

}  // namespace rocketmq::filter
