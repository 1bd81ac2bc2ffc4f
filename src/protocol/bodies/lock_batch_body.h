#pragma once

#include <set>
#include <string>
#include <string_view>

#include "protocol/message_queue_data.h"

namespace rocketmq {
namespace protocol {

// LOCK_BATCH_MQ request body (docs/protocol.md §7.4).
struct LockBatchRequestBody {
  std::string consumer_group;
  std::string client_id;
  std::set<MessageQueue> mq_set;
  bool only_this_broker = false;

  std::string encode() const;
};

// UNLOCK_BATCH_MQ request body: same shape as the lock request.
struct UnlockBatchRequestBody {
  std::string consumer_group;
  std::string client_id;
  std::set<MessageQueue> mq_set;
  bool only_this_broker = false;

  std::string encode() const;
};

// LOCK_BATCH_MQ response body: the queues the broker locked for us.
struct LockBatchResponseBody {
  std::set<MessageQueue> lock_ok_mq_set;

  static LockBatchResponseBody decode(std::string_view json);
  std::string encode() const;  // for test peers
};

}  // namespace protocol
}  // namespace rocketmq
