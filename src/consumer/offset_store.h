#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <set>
#include <string>

#include "rocketmq/message_queue.h"

namespace rocketmq::consumer {

enum class ReadOffsetType {
  Memory,           // the last value updated locally
  Store,            // the persisted value (broker or file)
  MemoryThenStore,  // memory if known, else the store (and remember it)
};

// What a read of an offset store found: an offset; none (the store has no offset for this queue and
// group: a new group, which starts where ConsumeFromWhere says); or unknown (the broker could not
// be asked: no address, a timeout, an error answer), in which case the caller must not guess a
// start position and should ask again later.
class StoredOffset {
 public:
  static StoredOffset at(std::int64_t offset) noexcept { return StoredOffset(State::Found, offset); }
  static StoredOffset none() noexcept { return StoredOffset(State::None, 0); }
  static StoredOffset unknown() noexcept { return StoredOffset(State::Unknown, 0); }

  bool found() const noexcept { return state_ == State::Found; }
  bool is_none() const noexcept { return state_ == State::None; }
  bool is_unknown() const noexcept { return state_ == State::Unknown; }
  // The offset; only when found().
  std::int64_t value() const noexcept { return value_; }
  std::optional<std::int64_t> get() const noexcept {
    return found() ? std::optional<std::int64_t>(value_) : std::nullopt;
  }
  // For figures that show "no offset" as -1 (running info, lag and stats entries).
  std::int64_t value_or_minus_one() const noexcept { return found() ? value_ : -1; }

  bool operator==(const StoredOffset& other) const noexcept {
    return state_ == other.state_ && (state_ != State::Found || value_ == other.value_);
  }
  bool operator!=(const StoredOffset& other) const noexcept { return !(*this == other); }
  friend std::ostream& operator<<(std::ostream& out, const StoredOffset& read) {
    if (read.found()) return out << read.value_;
    return out << (read.is_none() ? "none" : "unknown");
  }

 private:
  enum class State { Found, None, Unknown };
  StoredOffset(State state, std::int64_t value) noexcept : state_(state), value_(value) {}
  State state_;
  std::int64_t value_;
};

// Where a push consumer keeps its progress: the next offset to consume per queue. Thread-safe.
// Clustering uses the brokers (RemoteBrokerOffsetStore), broadcasting a local file
// (LocalFileOffsetStore).
class OffsetStore {
 public:
  virtual ~OffsetStore() = default;

  // Reads persisted state at start (the file for broadcasting; nothing for brokers).
  virtual void load() = 0;
  // With `increase_only`, a value below the current one is ignored (late acknowledgements).
  virtual void update_offset(const MessageQueue& queue, std::int64_t offset, bool increase_only) = 0;
  virtual StoredOffset read_offset(const MessageQueue& queue, ReadOffsetType type) = 0;
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
