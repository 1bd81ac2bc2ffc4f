#pragma once

#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "rocketmq/export.h"
#include "rocketmq/message.h"
#include "rocketmq/message_queue.h"
#include "rocketmq/producer_option.h"
#include "rocketmq/send_result.h"

namespace rocketmq {

// Called exactly once per asynchronous send, on one of the SDK's callback threads (never an I/O
// thread, never the caller's thread). `error` is null on success; then `result` is valid.
//
// Threads: each producer owns a small callback executor (1..4 threads). The network I/O threads
// only hand completions over to it; retries on another broker, route look-ups of async sends and
// the callbacks themselves run there. A callback may send again (it is then never blocked by the
// pending limit) but should return quickly: slow callbacks delay the others. An exception thrown
// by a callback is caught and logged, never propagated.
using SendCallback = std::function<void(const SendResult& result, std::exception_ptr error)>;

// Picks the queue of an ordered send from the topic's writable queues (sorted by broker, queue).
using MessageQueueSelector =
    std::function<MessageQueue(const std::vector<MessageQueue>& queues, const Message& message, const std::string& arg)>;

// The ready selector for ordered sends: the queue at hash(arg) modulo the queue count, so every
// message with the same key lands on one queue, in send order.
ROCKETMQ_API MessageQueueSelector select_queue_by_hash();

class ROCKETMQ_API Producer {
 public:
  explicit Producer(ProducerOption option);
  ~Producer();
  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;

  // Connects to the name server; throws ClientError for a bad option, ConnectError for a name server
  // that cannot be reached (or a TLS mismatch), AuthError when ACL brokers refuse the credentials.
  void start();
  // Waits for asynchronous sends in flight (their callbacks run), then closes. Idempotent.
  void shutdown();

  // Synchronous send with retries on other brokers. Throws ClientError for invalid messages,
  // BrokerError, TimeoutError or ConnectError when every attempt failed.
  SendResult send(const Message& message);
  // To one queue, no retries on another queue.
  SendResult send(const Message& message, const MessageQueue& queue);
  // Ordered: `selector` picks the queue from `arg` (see select_queue_by_hash).
  SendResult send(const Message& message, const MessageQueueSelector& selector, const std::string& arg);
  // A batch: same topic, no delay; arrives whole.
  SendResult send(const std::vector<Message>& messages);

  // Asynchronous: returns once the request is queued; validation errors throw at once. Never waits
  // for the network; blocks only while max_pending_async_sends sends await their callbacks.
  void send(const Message& message, SendCallback callback);
  // Fire and forget: no answer, no retry.
  void send_oneway(const Message& message);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace rocketmq
