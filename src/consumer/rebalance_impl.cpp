#include "consumer/rebalance_impl.h"

#include <algorithm>

#include "common/log.h"

namespace rocketmq::consumer {

RebalanceImpl::RebalanceImpl(std::string group, std::string client_id, MessageModel model,
                             std::shared_ptr<AllocateStrategy> strategy, RebalanceHost& host)
    : group_(std::move(group)),
      client_id_(std::move(client_id)),
      model_(model),
      strategy_(std::move(strategy)),
      host_(host) {}

void RebalanceImpl::set_subscription(const std::string& topic, protocol::SubscriptionData subscription) {
  std::lock_guard<std::mutex> lock(mutex_);
  subscriptions_[topic] = std::move(subscription);
}

void RebalanceImpl::remove_subscription(const std::string& topic) {
  std::lock_guard<std::mutex> lock(mutex_);
  subscriptions_.erase(topic);
}

std::map<std::string, protocol::SubscriptionData> RebalanceImpl::subscriptions() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return subscriptions_;
}

bool RebalanceImpl::subscription(const std::string& topic, protocol::SubscriptionData& out) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = subscriptions_.find(topic);
  if (it == subscriptions_.end()) return false;
  out = it->second;
  return true;
}

void RebalanceImpl::set_topic_queues(const std::string& topic, std::vector<MessageQueue> queues) {
  std::sort(queues.begin(), queues.end());
  std::lock_guard<std::mutex> lock(mutex_);
  topic_queues_[topic] = std::move(queues);
}

std::vector<MessageQueue> RebalanceImpl::topic_queues(const std::string& topic) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = topic_queues_.find(topic);
  return it == topic_queues_.end() ? std::vector<MessageQueue>{} : it->second;
}

bool RebalanceImpl::do_rebalance() {
  std::lock_guard<std::mutex> serial(rebalance_mutex_);
  if (closed_) return false;
  lock_refused_ = false;
  retry_releases();
  std::map<std::string, std::vector<MessageQueue>> work;
  std::set<std::string> unsubscribed;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& [topic, subscription] : subscriptions_) {
      auto it = topic_queues_.find(topic);
      if (it != topic_queues_.end()) work[topic] = it->second;
    }
    for (const auto& [queue, process_queue] : owned_) {
      if (subscriptions_.count(queue.topic) == 0) unsubscribed.insert(queue.topic);
    }
  }
  bool changed = false;
  for (const auto& [topic, queues] : work) {
    try {
      changed |= rebalance_topic(topic, queues);
    } catch (const std::exception& error) {
      LOG_WARN("rebalance of " << topic << " in group " << group_ << " failed: " << error.what());
    }
  }
  for (const auto& topic : unsubscribed) changed |= update_owned(topic, {});
  return changed;
}

bool RebalanceImpl::rebalance_topic(const std::string& topic, const std::vector<MessageQueue>& queues) {
  std::set<MessageQueue> wanted;
  if (model_ == MessageModel::Broadcasting) {
    wanted.insert(queues.begin(), queues.end());
  } else {
    auto consumer_ids = host_.find_consumer_ids(topic);
    if (consumer_ids.empty()) {
      LOG_WARN("no consumer of group " << group_ << " is registered for " << topic << " yet");
      return false;
    }
    std::sort(consumer_ids.begin(), consumer_ids.end());
    const auto allocated = strategy_->allocate(group_, client_id_, queues, consumer_ids);
    wanted.insert(allocated.begin(), allocated.end());
  }
  return update_owned(topic, wanted);
}

bool RebalanceImpl::update_owned(const std::string& topic, const std::set<MessageQueue>& wanted) {
  std::vector<std::pair<MessageQueue, std::shared_ptr<ProcessQueue>>> dropped;
  std::vector<MessageQueue> added;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto it = owned_.begin(); it != owned_.end();) {
      if (it->first.topic == topic && wanted.count(it->first) == 0) {
        it->second->mark_dropped();
        dropped.emplace_back(it->first, it->second);
        it = owned_.erase(it);
      } else {
        ++it;
      }
    }
    for (const auto& queue : wanted) {
      if (owned_.count(queue) == 0) added.push_back(queue);
    }
  }
  for (const auto& [queue, process_queue] : dropped) {
    LOG_INFO("group " << group_ << " gives up " << queue.to_string());
    release(queue, process_queue);
  }
  bool changed = !dropped.empty();
  for (const auto& queue : added) {
    {
      // Still releasing (its last listener call in flight): taking it now would overlap that call.
      std::lock_guard<std::mutex> lock(mutex_);
      if (releasing_.count(queue) != 0) continue;
    }
    auto process_queue = std::make_shared<ProcessQueue>();
    // The lock comes first, the offset after it: the previous owner committed before unlocking.
    if (!host_.lock_queue(queue, *process_queue)) {
      lock_refused_ = true;
      continue;
    }
    const std::int64_t offset = host_.compute_pull_offset(queue);
    if (offset < 0) {
      LOG_WARN("group " << group_ << " cannot tell where to start " << queue.to_string() << "; retrying later");
      continue;
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!owned_.emplace(queue, process_queue).second) continue;
    }
    LOG_INFO("group " << group_ << " takes " << queue.to_string() << " from offset " << offset);
    host_.start_pull(queue, process_queue, offset);
    changed = true;
  }
  return changed;
}

std::map<MessageQueue, std::shared_ptr<ProcessQueue>> RebalanceImpl::process_queues() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return owned_;
}

std::shared_ptr<ProcessQueue> RebalanceImpl::process_queue(const MessageQueue& queue) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = owned_.find(queue);
  return it == owned_.end() ? nullptr : it->second;
}

void RebalanceImpl::drop_queue(const MessageQueue& queue) {
  std::lock_guard<std::mutex> serial(rebalance_mutex_);
  if (closed_) return;
  std::shared_ptr<ProcessQueue> process_queue;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = owned_.find(queue);
    if (it == owned_.end()) return;
    process_queue = it->second;
    process_queue->mark_dropped();  // before anyone can see the queue as not owned
    owned_.erase(it);
  }
  release(queue, process_queue);
}

void RebalanceImpl::release(const MessageQueue& queue, const std::shared_ptr<ProcessQueue>& process_queue) {
  if (host_.on_queue_dropped(queue, process_queue)) return;
  LOG_INFO("group " << group_ << " cannot release " << queue.to_string() << " yet (a listener call is in flight); "
                    << "retrying at the next rebalance");
  std::lock_guard<std::mutex> lock(mutex_);
  releasing_[queue] = process_queue;
}

void RebalanceImpl::retry_releases() {
  std::map<MessageQueue, std::shared_ptr<ProcessQueue>> pending;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    pending.swap(releasing_);
  }
  for (const auto& [queue, process_queue] : pending) release(queue, process_queue);
}

std::map<MessageQueue, std::shared_ptr<ProcessQueue>> RebalanceImpl::releasing() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return releasing_;
}

std::map<MessageQueue, std::shared_ptr<ProcessQueue>> RebalanceImpl::drop_all() {
  std::lock_guard<std::mutex> serial(rebalance_mutex_);
  closed_ = true;
  std::map<MessageQueue, std::shared_ptr<ProcessQueue>> all;
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& [queue, process_queue] : owned_) process_queue->mark_dropped();
  all.swap(owned_);
  all.insert(releasing_.begin(), releasing_.end());
  releasing_.clear();
  return all;
}

}  // namespace rocketmq::consumer
