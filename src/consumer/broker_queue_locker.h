#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "client/mq_client_api.h"
#include "consumer/process_queue.h"
#include "rocketmq/message_queue.h"

namespace rocketmq::consumer {

// The broker side of orderly clustering consumption: the brokers' queue locks (LOCK_BATCH_MQ,
// UNLOCK_BATCH_MQ) of one group and client. A broker grants a queue to one client of a group at a
// time and forgets a lock 60 s after its last renewal; a consumer renews every owned queue every
// 20 s and treats a lock it could not renew for 30 s as lost (ProcessQueue::lock_valid).
//
// Thread-safe (no state of its own). Every call is a blocking request: scheduler, consume or
// shutdown threads, never an I/O thread.
class BrokerQueueLocker {
 public:
  // The master address of a broker name, or nullopt when unknown.
  using AddressResolver = std::function<std::optional<std::string>(const std::string& broker_name)>;

  BrokerQueueLocker(client::MQClientAPI& api, std::string group, std::string client_id, AddressResolver resolve);

  // Locks (or renews) one queue. True when the broker granted it: `process_queue` is then marked
  // locked and renewed. A refusal or a failed request leaves `process_queue` as it was.
  bool lock(const MessageQueue& queue, ProcessQueue& process_queue);

  // Renews every queue of `owned`, one request per broker. Granted queues are renewed, refused ones
  // marked unlocked (another client holds them); a broker that cannot be asked changes nothing,
  // so its queues age out and pause after 30 s.
  void lock_all(const std::map<MessageQueue, std::shared_ptr<ProcessQueue>>& owned);

  // Releases `queues`, one request per broker; failures are logged (the broker frees them after
  // 60 s anyway).
  void unlock(const std::set<MessageQueue>& queues, bool oneway);

 private:
  client::MQClientAPI& api_;
  const std::string group_;
  const std::string client_id_;
  const AddressResolver resolve_;
};

}  // namespace rocketmq::consumer
