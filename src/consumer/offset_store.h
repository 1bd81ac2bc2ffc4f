#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>

#include "rocketmq/message_queue.h"

namespace rocketmq::consumer {

enum class ReadOffsetType {
  Memory,           // the last value updated locally, or -1
  Store,            // the persisted value (broker or file), or -1 when there is none
  MemoryThenStore,  // memory if known, else the store (and remember it)
};

// Where a push consumer keeps its progress: the next offset to consume per queue. Thread-safe.
// Clustering uses the brokers (RemoteBrokerOffsetStore), broadcasting a local file
// (LocalFileOffsetStore). -1 means "no offset known".
class OffsetStore {
 public:
  virtual ~OffsetStore() = default;

  // Reads persisted state at start (the file for broadcasting; nothing for brokers).
  virtual void load() = 0;
  // With `increase_only`, a value below the current one is ignored (late acknowledgements).
  virtual void update_offset(const MessageQueue& queue, std::int64_t offset, bool increase_only) = 0;
  virtual std::int64_t read_offset(const MessageQueue& queue, ReadOffsetType type) = 0;
  // Persists the offsets of `queues` (periodic task; oneway to brokers, atomic file write).
  virtual void persist_all(const std::set<MessageQueue>& queues) = 0;
  // Persists one queue synchronously (on drop and shutdown); errors are logged, not thrown. False
  // when the write failed (a broker that did not answer).
  virtual bool persist(const MessageQueue& queue) = 0;
  // Forgets a queue this consumer no longer owns.
  virtual void remove_offset(const MessageQueue& queue) = 0;
  // The offsets known in memory for `topic` (every topic when empty).
  virtual std::map<MessageQueue, std::int64_t> offsets(const std::string& topic) const = 0;
};

}  // namespace rocketmq::consumer
