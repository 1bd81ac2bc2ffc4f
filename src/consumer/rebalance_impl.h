#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "consumer/process_queue.h"
#include "protocol/bodies/heartbeat_data.h"
#include "rocketmq/consumer_option.h"
#include "rocketmq/message_queue.h"

namespace rocketmq::consumer {

// What RebalanceImpl needs from its consumer; the seam that lets unit tests drive rebalancing
// without a broker. Called on the rebalancing thread, without RebalanceImpl's lock held.
class RebalanceHost {
 public:
  virtual ~RebalanceHost() = default;
  // The ids of the group's consumers as a broker of `topic` sees them (throws on failure).
  virtual std::vector<std::string> find_consumer_ids(const std::string& topic) = 0;
  // Where a newly owned queue starts: committed offset, else per consume_from_where. A negative
  // value means "not now" (the broker could not be asked); the next rebalance tries again.
  virtual std::int64_t compute_pull_offset(const MessageQueue& queue) = 0;
  // Orderly clustering: take the broker lock of a queue about to be owned (and mark its new,
  // not yet published process queue locked). False leaves the queue for a later rebalance.
  virtual bool lock_queue(const MessageQueue& queue, ProcessQueue& process_queue) { return true; }
  // Starts the one pull loop of a newly owned queue.
  virtual void start_pull(const MessageQueue& queue, const std::shared_ptr<ProcessQueue>& process_queue,
                          std::int64_t offset) = 0;
  // A queue was given away (already marked dropped): commit its offset and forget it. False when it
  // cannot be released yet (an orderly listener call still in flight): RebalanceImpl then keeps it
  // as releasing, does not take it again, and calls on_queue_dropped again at the next rebalance.
  virtual bool on_queue_dropped(const MessageQueue& queue, const std::shared_ptr<ProcessQueue>& process_queue) = 0;
};

// Decides which queues this consumer owns and keeps one ProcessQueue (and so one pull loop) per
// owned queue. Thread-safe; do_rebalance must be called from one thread at a time.
class RebalanceImpl {
 public:
  RebalanceImpl(std::string group, std::string client_id, MessageModel model,
                std::shared_ptr<AllocateStrategy> strategy, RebalanceHost& host);

  void set_subscription(const std::string& topic, protocol::SubscriptionData subscription);
  void remove_subscription(const std::string& topic);
  std::map<std::string, protocol::SubscriptionData> subscriptions() const;
  bool subscription(const std::string& topic, protocol::SubscriptionData& out) const;

  // The readable queues of a topic, from its route.
  void set_topic_queues(const std::string& topic, std::vector<MessageQueue> queues);
  std::vector<MessageQueue> topic_queues(const std::string& topic) const;

  // Re-allocates every subscribed topic. Returns true when the owned set changed.
  bool do_rebalance();
  // True when the last do_rebalance left a wanted queue unowned because its broker lock was
  // refused (orderly): the caller rebalances again soon rather than after a whole interval.
  bool lock_refused() const noexcept { return lock_refused_.load(); }

  std::map<MessageQueue, std::shared_ptr<ProcessQueue>> process_queues() const;
  std::shared_ptr<ProcessQueue> process_queue(const MessageQueue& queue) const;
  // Gives a queue up now (offset moved, seek); the next rebalance takes it again from the store.
  // May wait for a rebalance in progress: not from an I/O thread.
  void drop_queue(const MessageQueue& queue);
  // Shutdown: marks every queue dropped and returns them, those still releasing included (the caller
  // commits their offsets and releases their broker locks). Waits for a rebalance in progress, so a
  // queue it is just taking is included; rebalances after it do nothing.
  std::map<MessageQueue, std::shared_ptr<ProcessQueue>> drop_all();
  // Dropped queues whose release is still pending (see RebalanceHost::on_queue_dropped).
  std::map<MessageQueue, std::shared_ptr<ProcessQueue>> releasing() const;

 private:
  bool rebalance_topic(const std::string& topic, const std::vector<MessageQueue>& queues);
  bool update_owned(const std::string& topic, const std::set<MessageQueue>& wanted);
  // Hands a dropped queue to the host; keeps it as releasing when the host cannot release it yet.
  void release(const MessageQueue& queue, const std::shared_ptr<ProcessQueue>& process_queue);
  void retry_releases();

  const std::string group_;
  const std::string client_id_;
  const MessageModel model_;
  const std::shared_ptr<AllocateStrategy> strategy_;
  RebalanceHost& host_;

  // Serialises do_rebalance and drop_queue including their host callbacks, so a dropped queue's
  // on_queue_dropped always completes before the queue can be taken again. Never held by I/O threads.
  std::mutex rebalance_mutex_;
  mutable std::mutex mutex_;  // guards the tables below; never held across host callbacks
  std::map<std::string, protocol::SubscriptionData> subscriptions_;
  std::map<std::string, std::vector<MessageQueue>> topic_queues_;
  std::map<MessageQueue, std::shared_ptr<ProcessQueue>> owned_;
  std::map<MessageQueue, std::shared_ptr<ProcessQueue>> releasing_;  // dropped, not yet released
  std::atomic<bool> lock_refused_{false};
  bool closed_ = false;  // drop_all ran; guarded by rebalance_mutex_
};

}  // namespace rocketmq::consumer
