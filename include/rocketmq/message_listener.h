#pragma once

#include <vector>

#include "rocketmq/consume_result.h"
#include "rocketmq/export.h"
#include "rocketmq/message_ext.h"

namespace rocketmq {

// Messages of any queue delivered in parallel on the consumer's consume threads, in batches of
// up to consume_batch_size. consume_message runs on a consume thread (never an I/O thread) and may
// block; blocking longer than consume_timeout lets the SDK hand the batch back for a retry.
class ROCKETMQ_API MessageListenerConcurrently {
 public:
  virtual ~MessageListenerConcurrently();
  virtual ConsumeResult consume_message(const std::vector<MessageExt>& messages) = 0;
};

// Messages of one queue delivered one batch at a time, in queue order, while this consumer holds
// the broker's lock on the queue. Runs on a consume thread.
class ROCKETMQ_API MessageListenerOrderly {
 public:
  virtual ~MessageListenerOrderly();
  virtual ConsumeResult consume_message(const std::vector<MessageExt>& messages) = 0;
};

}  // namespace rocketmq
