#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "client/mq_client_api.h"
#include "consumer/offset_store.h"
#include "rocketmq/message_queue.h"

namespace rocketmq::consumer {

// Clustering progress, kept by the brokers (QUERY_CONSUMER_OFFSET / UPDATE_CONSUMER_OFFSET). The
// memory table is the truth while the consumer runs; brokers learn it through persist_all (oneway,
// periodic) and persist (synchronous, on queue drop and shutdown).
//
// A broker keeps the last offset it was told, lower or not. So the updates to one broker are sent
// one at a time, each with the offset read when it is sent: a periodic round that read a queue's
// offset and was then preempted must not tell the broker that older offset after a hand-over's
// synchronous commit of a newer one (the next owner would start below it and deliver again what
// was already consumed). persist_all skips a broker whose updates are being sent by someone else;
// the next round (or that sender, which reads the newest offset) covers it.
//
// Only MemoryThenStore remembers what it read from the broker; Store is a pure read of the broker.
class RemoteBrokerOffsetStore : public OffsetStore {
 public:
  // The master address of a broker name, nullopt when the route does not know it (yet).
  using BrokerAddressResolver = std::function<std::optional<std::string>(const std::string& broker_name)>;

  RemoteBrokerOffsetStore(client::MQClientAPI& api, std::string group, BrokerAddressResolver broker_address);

  void load() override {}
  void update_offset(const MessageQueue& queue, std::int64_t offset, bool increase_only) override;
  StoredOffset read_offset(const MessageQueue& queue, ReadOffsetType type) override;
  void persist_all(const std::set<MessageQueue>& queues) override;
  bool persist(const MessageQueue& queue) override;
  void remove_offset(const MessageQueue& queue) override;
  std::map<MessageQueue, std::int64_t> offsets(const std::string& topic) const override;

 private:
  struct Entry {
    std::int64_t offset = 0;
    // What the broker was last told (or reported); persist_all skips the queue while it is equal.
    std::optional<std::int64_t> persisted;
  };

  // The broker's committed offset (none: QUERY_NOT_FOUND; unknown: it could not be asked). Called
  // without the lock held.
  StoredOffset fetch_from_broker(const MessageQueue& queue);
  // Sends the offset; throws what the API throws, or ClientError when the broker has no address.
  void send_to_broker(const MessageQueue& queue, std::int64_t offset, bool oneway);
  // Records that the broker now holds `offset`, unless the entry has gone meanwhile.
  void mark_persisted(const MessageQueue& queue, std::int64_t offset);
  // The offset to send for `queue` now, nullopt when it is unknown (or, with `changed_only`, when the
  // broker already has it).
  std::optional<std::int64_t> offset_to_send(const MessageQueue& queue, bool changed_only) const;
  // Serialises the updates sent to one broker (see the class comment).
  std::mutex& send_mutex(const std::string& broker_name);

  client::MQClientAPI& api_;
  const std::string group_;
  const BrokerAddressResolver broker_address_;

  mutable std::mutex mutex_;
  std::map<MessageQueue, Entry> table_;
  std::map<std::string, std::unique_ptr<std::mutex>> send_mutexes_;  // by broker name, under mutex_
};

}  // namespace rocketmq::consumer
