#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "client/mq_client_instance.h"
#include "consumer/offset_store.h"
#include "rocketmq/consumer_option.h"
#include "rocketmq/error.h"
#include "rocketmq/message_queue.h"

namespace rocketmq::consumer {

// What the push and the lite pull consumer ask the brokers alike when they take a queue: where to
// start reading it, and who else is in the group. Blocking requests: scheduler threads only.

// The committed offset of `queue`, else the position consume_from_where gives (a group's retry
// queue starts at 0, or at its end for ConsumeFromTimestamp). -1 when the broker could not be
// asked: the caller tries again later; `report` has been told why.
std::int64_t compute_start_offset(client::MQClientInstance& instance, OffsetStore& offset_store,
                                  const ConsumerOption& option, const MessageQueue& queue,
                                  const std::function<void(const BackgroundError&)>& report);

// The group's consumer ids as a broker of `topic` sees them (any broker of the route: all of them
// get every member's heartbeats). Throws the last broker's error when none answers.
std::vector<std::string> find_group_consumer_ids(client::MQClientInstance& instance, const std::string& group,
                                                 const std::string& topic);

// The heartbeat's name of a ConsumeFromWhere.
const char* consume_from_where_name(ConsumeFromWhere where);

}  // namespace rocketmq::consumer
