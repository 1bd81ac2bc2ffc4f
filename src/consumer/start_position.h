#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "client/mq_client_instance.h"
#include "consumer/offset_store.h"
#include "rocketmq/consumer_option.h"
#include "rocketmq/error.h"
#include "rocketmq/message_queue.h"

namespace rocketmq::consumer {

// What the push and the lite pull consumer do alike: the client instance's settings and the offset
// store their start() makes, the routes it fetches first, and what they ask the brokers when they
// take a queue (where to start reading it, who else is in the group).

// The client instance settings of a consumer with `option`, named `instance_name`.
client::ClientConfig consumer_client_config(const ConsumerOption& option, const std::string& instance_name);

// The offset store of `option`'s message model: a local file (broadcasting) or the brokers,
// whose addresses come from `instance` for as long as it lives. Not loaded yet.
std::unique_ptr<OffsetStore> make_offset_store(const std::shared_ptr<client::MQClientInstance>& instance,
                                               const ConsumerOption& option);

// start()'s first contact: the route of each of `topics`. A topic that does not exist yet is
// waited for (with a warning, except for `quiet_topic`); an unreachable name server throws
// ConnectError (or ClientError for another failure) naming the addresses. The caller's thread.
void fetch_start_routes(client::MQClientInstance& instance, const ConsumerOption& option,
                        const std::set<std::string>& topics, const std::string& quiet_topic = "");

// Blocking requests from here on: scheduler threads only.

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
