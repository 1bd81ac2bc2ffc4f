#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "rocketmq/message_ext.h"
#include "rocketmq/message_queue.h"

namespace rocketmq::consumer {

class ProcessQueue;

// What the consume services need from their consumer; the seam for broker-less unit tests.
class ConsumeHost {
 public:
  virtual ~ConsumeHost() = default;
  // CONSUMER_SEND_MSG_BACK of one failed message (delay level 0 lets the broker pick 3 + retries).
  // False when the broker did not take it: the message then stays cached and is retried locally.
  virtual bool send_message_back(const MessageExt& message, int delay_level) = 0;
  // The new committed position of `queue` (only ever moves forward), reached by `process_queue`'s
  // consumption. Ignored once a seek or an offset reset replaced that process queue's position.
  virtual void commit_offset(const MessageQueue& queue, const ProcessQueue& process_queue, std::int64_t offset) = 0;
  // Runs `task` later on a non-I/O thread; dropped once the consumer stops running.
  virtual void run_later(std::chrono::milliseconds delay, std::function<void()> task) = 0;
  // Orderly clustering: takes (or renews) the broker lock of `queue` and marks `process_queue`
  // locked. False when the broker refused or could not be asked. A blocking request: called on
  // consume threads, never on an I/O thread.
  virtual bool lock_queue(const MessageQueue& queue, ProcessQueue& process_queue) { return true; }
};

}  // namespace rocketmq::consumer
