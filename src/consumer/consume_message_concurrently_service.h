#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <vector>

#include "common/elastic_thread_pool.h"
#include "consumer/consume_host.h"
#include "consumer/process_queue.h"
#include "rocketmq/message_listener.h"

namespace rocketmq::consumer {

struct ConsumeStatsSnapshot {
  std::int64_t consumed_ok = 0;
  std::int64_t consumed_failed = 0;
  std::int64_t timed_out = 0;
  double average_rt_ms = 0;
};

// Runs MessageListenerConcurrently on the elastic consume pool, batches of consume_batch_size.
//   Success         the batch leaves the process queue; the committed offset becomes the lowest
//                   offset still cached (so nothing in flight is ever skipped).
//   ReconsumeLater  (or a throw) each message is sent back to the broker for a delayed retry and
//                   then leaves the queue; one the broker refuses stays cached and is retried here
//                   after 5 s. Broadcasting has no retry topic: failures are logged and dropped,
//                   as in the Java client.
//   too slow        a batch running longer than consume_timeout is sent back and released, so one
//                   stuck call cannot pin the queue's offset forever; its late result is ignored.
class ConsumeMessageConcurrentlyService {
 public:
  ConsumeMessageConcurrentlyService(ConsumeHost& host, MessageListenerConcurrently& listener,
                                    common::ElasticThreadPool& pool, int batch_size,
                                    std::chrono::milliseconds consume_timeout, bool broadcasting);

  void submit(const std::vector<MessageExt>& messages, const std::shared_ptr<ProcessQueue>& process_queue,
              const MessageQueue& queue);

  // Hands back the batches that exceeded consume_timeout. Called periodically.
  void expire_slow_batches();

  // One message on the caller's thread (CONSUME_MESSAGE_DIRECTLY from mqadmin).
  ConsumeResult consume_directly(const MessageExt& message);

  ConsumeStatsSnapshot stats() const;

 private:
  struct Batch {
    std::vector<MessageExt> messages;
    std::shared_ptr<ProcessQueue> process_queue;
    MessageQueue queue;
    std::chrono::steady_clock::time_point started;
    std::atomic<bool> settled{false};  // result applied, or handed back as too slow
  };

  void run(const std::shared_ptr<Batch>& batch);
  void settle(const std::shared_ptr<Batch>& batch, ConsumeResult result);
  void retry_locally(std::vector<MessageExt> messages, const std::shared_ptr<ProcessQueue>& process_queue,
                     const MessageQueue& queue);
  ConsumeResult call_listener(const std::vector<MessageExt>& messages);

  ConsumeHost& host_;
  MessageListenerConcurrently& listener_;
  common::ElasticThreadPool& pool_;
  const std::size_t batch_size_;
  const std::chrono::milliseconds consume_timeout_;
  const bool broadcasting_;

  std::mutex running_mutex_;
  std::list<std::weak_ptr<Batch>> running_;

  std::atomic<std::int64_t> consumed_ok_{0};
  std::atomic<std::int64_t> consumed_failed_{0};
  std::atomic<std::int64_t> timed_out_{0};
  std::atomic<std::int64_t> listener_calls_{0};
  std::atomic<std::int64_t> listener_nanos_{0};
};

}  // namespace rocketmq::consumer
