#include "consumer/remote_broker_offset_store.h"

#include <exception>
#include <utility>
#include <vector>

#include "common/log.h"
#include "protocol/headers.h"
#include "protocol/response_code.h"
#include "rocketmq/error.h"

namespace rocketmq::consumer {

RemoteBrokerOffsetStore::RemoteBrokerOffsetStore(client::MQClientAPI& api, std::string group,
                                                 BrokerAddressResolver broker_address)
    : api_(api), group_(std::move(group)), broker_address_(std::move(broker_address)) {}

void RemoteBrokerOffsetStore::update_offset(const MessageQueue& queue, std::int64_t offset,
                                            bool increase_only) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = table_.find(queue);
  if (it == table_.end()) {
    table_.emplace(queue, Entry{offset, std::nullopt});
    return;
  }
  if (increase_only && offset <= it->second.offset) return;
  it->second.offset = offset;
}

StoredOffset RemoteBrokerOffsetStore::read_offset(const MessageQueue& queue, ReadOffsetType type) {
  if (type != ReadOffsetType::Store) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = table_.find(queue);
    if (it != table_.end()) return StoredOffset::at(it->second.offset);
    if (type == ReadOffsetType::Memory) return StoredOffset::none();
  }

  // The broker is asked without the lock: a slow broker must not stall acknowledgements.
  const StoredOffset stored = fetch_from_broker(queue);
  if (type == ReadOffsetType::Store || !stored.found()) return stored;

  std::lock_guard<std::mutex> lock(mutex_);
  // An update that raced with the query is newer than the broker's value and wins.
  return StoredOffset::at(table_.emplace(queue, Entry{stored.value(), stored.value()}).first->second.offset);
}

StoredOffset RemoteBrokerOffsetStore::fetch_from_broker(const MessageQueue& queue) {
  const std::optional<std::string> address = broker_address_(queue.broker_name);
  if (!address) {
    LOG_WARN("offset query for group " << group_ << ", " << queue.to_string() << ": broker address unknown");
    return StoredOffset::unknown();
  }
  protocol::QueryConsumerOffsetRequestHeader header;
  header.consumer_group = group_;
  header.topic = queue.topic;
  header.queue_id = queue.queue_id;
  // Without this the broker answers 0 for a new group, indistinguishable from a real offset 0, and
  // ConsumeFromWhere would never apply.
  header.set_zero_if_not_found = false;
  header.broker_name = queue.broker_name;
  try {
    return StoredOffset::at(api_.query_consumer_offset(*address, header));
  } catch (const BrokerError& error) {
    if (error.response_code() == static_cast<int>(protocol::ResponseCode::kQueryNotFound)) return StoredOffset::none();
    LOG_WARN("offset query for group " << group_ << ", " << queue.to_string() << " failed: " << error.what());
  } catch (const std::exception& error) {
    LOG_WARN("offset query for group " << group_ << ", " << queue.to_string() << " failed: " << error.what());
  }
  return StoredOffset::unknown();
}

void RemoteBrokerOffsetStore::send_to_broker(const MessageQueue& queue, std::int64_t offset, bool oneway) {
  const std::optional<std::string> address = broker_address_(queue.broker_name);
  if (!address) throw ClientError("broker address of " + queue.broker_name + " unknown");
  protocol::UpdateConsumerOffsetRequestHeader header;
  header.consumer_group = group_;
  header.topic = queue.topic;
  header.queue_id = queue.queue_id;
  header.commit_offset = offset;
  header.broker_name = queue.broker_name;
  api_.update_consumer_offset(*address, header, oneway);
}

void RemoteBrokerOffsetStore::mark_persisted(const MessageQueue& queue, std::int64_t offset) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = table_.find(queue);
  if (it != table_.end()) it->second.persisted = offset;
}

std::optional<std::int64_t> RemoteBrokerOffsetStore::offset_to_send(const MessageQueue& queue,
                                                                    bool changed_only) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = table_.find(queue);
  if (it == table_.end()) return std::nullopt;
  if (changed_only && it->second.persisted == it->second.offset) return std::nullopt;
  return it->second.offset;
}

std::mutex& RemoteBrokerOffsetStore::send_mutex(const std::string& broker_name) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto& slot = send_mutexes_[broker_name];
  if (!slot) slot = std::make_unique<std::mutex>();
  return *slot;
}

void RemoteBrokerOffsetStore::persist_all(const std::set<MessageQueue>& queues) {
  std::map<std::string, std::vector<MessageQueue>> by_broker;
  for (const MessageQueue& queue : queues) by_broker[queue.broker_name].push_back(queue);
  for (const auto& [broker_name, owned] : by_broker) {
    // Busy: a synchronous commit to this broker is under way; this round leaves the broker alone
    // rather than holding the periodic thread behind it.
    std::unique_lock<std::mutex> sending(send_mutex(broker_name), std::try_to_lock);
    if (!sending.owns_lock()) continue;
    for (const MessageQueue& queue : owned) {
      const auto offset = offset_to_send(queue, true);
      if (!offset) continue;
      try {
        send_to_broker(queue, *offset, true);
        // Oneway gives no confirmation; a lost update is repaired by the next change or by persist().
        mark_persisted(queue, *offset);
      } catch (const std::exception& error) {
        LOG_WARN("offset update for group " << group_ << ", " << queue.to_string() << " to " << *offset
                                            << " failed: " << error.what());
      }
    }
  }
}

bool RemoteBrokerOffsetStore::persist(const MessageQueue& queue) {
  std::lock_guard<std::mutex> sending(send_mutex(queue.broker_name));
  const auto offset = offset_to_send(queue, false);
  if (!offset) return true;
  try {
    send_to_broker(queue, *offset, false);
    mark_persisted(queue, *offset);
    return true;
  } catch (const std::exception& error) {
    LOG_WARN("offset update for group " << group_ << ", " << queue.to_string() << " to " << *offset
                                        << " failed: " << error.what());
    return false;
  }
}

void RemoteBrokerOffsetStore::remove_offset(const MessageQueue& queue) {
  std::lock_guard<std::mutex> lock(mutex_);
  table_.erase(queue);
}

std::map<MessageQueue, std::int64_t> RemoteBrokerOffsetStore::offsets(const std::string& topic) const {
  std::map<MessageQueue, std::int64_t> result;
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& [queue, entry] : table_) {
    if (topic.empty() || queue.topic == topic) result.emplace(queue, entry.offset);
  }
  return result;
}

}  // namespace rocketmq::consumer
