#pragma once

#include <cstdint>
#include <string>

#include "rocketmq/export.h"
#include "rocketmq/message_queue.h"

namespace rocketmq {

enum class SendStatus {
  SendOk,
  FlushDiskTimeout,   // stored, but not yet flushed within the broker's deadline (SYNC_FLUSH brokers)
  FlushSlaveTimeout,  // stored on the master, the slave did not confirm in time (SYNC_MASTER)
  SlaveNotAvailable,  // stored on the master, no slave to replicate to (SYNC_MASTER)
};

struct ROCKETMQ_API SendResult {
  SendStatus status = SendStatus::SendOk;
  std::string msg_id;         // UNIQ_KEY: what consumers see as get_msg_id()
  std::string offset_msg_id;  // broker-assigned (comma-separated for a batch)
  MessageQueue queue;
  std::int64_t queue_offset = -1;

  const std::string& get_msg_id() const noexcept { return msg_id; }
  const std::string& get_offset_msg_id() const noexcept { return offset_msg_id; }
  const MessageQueue& get_message_queue() const noexcept { return queue; }
  std::int64_t get_queue_offset() const noexcept { return queue_offset; }
  SendStatus get_send_status() const noexcept { return status; }
};

}  // namespace rocketmq
