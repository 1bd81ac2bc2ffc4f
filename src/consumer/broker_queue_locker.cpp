#include "consumer/broker_queue_locker.h"

#include "common/log.h"

namespace rocketmq::consumer {

namespace {

std::map<std::string, std::set<MessageQueue>> by_broker(const std::set<MessageQueue>& queues) {
  std::map<std::string, std::set<MessageQueue>> grouped;
  for (const auto& queue : queues) grouped[queue.broker_name].insert(queue);
  return grouped;
}

}  // namespace

BrokerQueueLocker::BrokerQueueLocker(client::MQClientAPI& api, std::string group, std::string client_id,
                                     AddressResolver resolve)
    : api_(api), group_(std::move(group)), client_id_(std::move(client_id)), resolve_(std::move(resolve)) {}

bool BrokerQueueLocker::lock(const MessageQueue& queue, ProcessQueue& process_queue) {
  auto address = resolve_(queue.broker_name);
  if (!address) {
    LOG_WARN("no address for broker " << queue.broker_name << ": cannot lock " << queue.to_string());
    return false;
  }
  protocol::LockBatchRequestBody body;
  body.consumer_group = group_;
  body.client_id = client_id_;
  body.mq_set.insert(queue);
  try {
    const auto granted = api_.lock_batch(*address, body);
    if (granted.count(queue) == 0) {
      LOG_DEBUG("broker " << queue.broker_name << " refused the lock of " << queue.to_string() << " to " << client_id_);
      return false;
    }
  } catch (const std::exception& error) {
    LOG_WARN("lock of " << queue.to_string() << " for group " << group_ << " failed: " << error.what());
    return false;
  }
  process_queue.set_locked(true);
  return true;
}

void BrokerQueueLocker::lock_all(const std::map<MessageQueue, std::shared_ptr<ProcessQueue>>& owned) {
  std::set<MessageQueue> queues;
  for (const auto& [queue, process_queue] : owned) queues.insert(queue);
  for (const auto& [broker_name, broker_queues] : by_broker(queues)) {
    auto address = resolve_(broker_name);
    if (!address) continue;
    protocol::LockBatchRequestBody body;
    body.consumer_group = group_;
    body.client_id = client_id_;
    body.mq_set = broker_queues;
    std::set<MessageQueue> granted;
    try {
      granted = api_.lock_batch(*address, body);
    } catch (const std::exception& error) {
      LOG_WARN("lock renewal of " << broker_queues.size() << " queue(s) on " << broker_name << " for group " << group_
                                  << " failed: " << error.what());
      continue;
    }
    for (const auto& queue : broker_queues) {
      const auto& process_queue = owned.at(queue);
      const bool ok = granted.count(queue) != 0;
      if (!ok && process_queue->locked()) {
        LOG_WARN("group " << group_ << " lost the broker lock of " << queue.to_string()
                          << "; its consumption pauses until it is locked again");
      }
      process_queue->set_locked(ok);
    }
  }
}

void BrokerQueueLocker::unlock(const std::set<MessageQueue>& queues, bool oneway) {
  for (const auto& [broker_name, broker_queues] : by_broker(queues)) {
    auto address = resolve_(broker_name);
    if (!address) continue;
    protocol::UnlockBatchRequestBody body;
    body.consumer_group = group_;
    body.client_id = client_id_;
    body.mq_set = broker_queues;
    try {
      api_.unlock_batch(*address, body, oneway);
    } catch (const std::exception& error) {
      LOG_WARN("unlock of " << broker_queues.size() << " queue(s) on " << broker_name << " for group " << group_
                            << " failed: " << error.what());
    }
  }
}

}  // namespace rocketmq::consumer
