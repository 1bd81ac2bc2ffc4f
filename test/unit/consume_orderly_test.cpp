#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "common/elastic_thread_pool.h"
#include "consumer/broker_queue_locker.h"
#include "consumer/consume_host.h"
#include "consumer/consume_lock.h"
#include "consumer/consume_message_orderly_service.h"
#include "consumer/message_ext_data.h"
#include "consumer/process_queue.h"
#include "rocketmq/message_listener.h"
#include "support/fake_mq_client_api.h"
#include "support/test_env.h"

using namespace std::chrono_literals;
using rocketmq::ConsumeResult;
using rocketmq::MessageExt;
using rocketmq::MessageQueue;
using rocketmq::common::ElasticThreadPool;
using rocketmq::consumer::BrokerQueueLocker;
using rocketmq::consumer::ConsumeHost;
using rocketmq::consumer::ConsumeMessageOrderlyService;
using rocketmq::consumer::ProcessQueue;
using rocketmq::test::FakeMQClientAPI;
using rocketmq::test::wait_until;

namespace {

constexpr auto kDeadline = 20s;
constexpr const char* kTopic = "TopicOrderly";
constexpr const char* kGroup = "orderly_test_group";
constexpr const char* kClientId = "127.0.0.1@orderly-test";
constexpr const char* kBrokerAddr = "127.0.0.1:10911";

MessageQueue queue_of(int id) {
  MessageQueue queue;
  queue.topic = kTopic;
  queue.broker_name = "broker-a";
  queue.queue_id = id;
  return queue;
}

MessageExt make_message(int queue_id, std::int64_t offset) {
  auto data = std::make_shared<rocketmq::detail::MessageExtData>();
  data->stored.queue_offset = offset;
  data->stored.queue_id = queue_id;
  data->stored.commit_log_offset = 100000 * queue_id + offset;
  data->stored.topic = kTopic;
  data->stored.msg_id = "MSG" + std::to_string(queue_id) + "-" + std::to_string(offset);
  data->stored.body = "body-" + std::to_string(offset);
  data->topic = kTopic;
  data->broker_name = "broker-a";
  return rocketmq::detail::MessageExtAccess::make(std::move(data));
}

std::vector<MessageExt> make_messages(int queue_id, std::int64_t first, std::int64_t count) {
  std::vector<MessageExt> messages;
  for (std::int64_t offset = first; offset < first + count; ++offset) messages.push_back(make_message(queue_id, offset));
  return messages;
}

// The consumer side of the service: send-back (accepting or refusing), commits, timers that honour
// their delay on helper threads, and the broker lock, either granted by a switch or delegated to a
// BrokerQueueLocker over the fake client API.
class FakeOrderlyHost : public ConsumeHost {
 public:
  struct SendBack {
    std::int64_t offset;
    int delay_level;
    bool accepted;
  };

  ~FakeOrderlyHost() override { join(); }

  bool send_message_back(const MessageExt& message, int delay_level) override {
    std::lock_guard<std::mutex> lock(mutex_);
    const bool accepted = refusals_ == 0;
    if (!accepted) --refusals_;
    send_backs_.push_back({message.get_queue_offset(), delay_level, accepted});
    return accepted;
  }

  void commit_offset(const MessageQueue& queue, const rocketmq::consumer::ProcessQueue&, std::int64_t offset) override {
    std::lock_guard<std::mutex> lock(mutex_);
    auto& committed = commits_[queue.queue_id];
    committed = std::max(committed, offset);
  }

  void run_later(std::chrono::milliseconds delay, std::function<void()> task) override {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopped_) return;
    delays_.push_back(delay);
    threads_.emplace_back([delay, task = std::move(task)] {
      std::this_thread::sleep_for(delay);
      task();
    });
  }

  bool lock_queue(const MessageQueue& queue, ProcessQueue& process_queue) override {
    ++lock_attempts_;
    if (locker_) return locker_->lock(queue, process_queue);
    if (!grant_locks_.load()) return false;
    process_queue.set_locked(true);
    return true;
  }

  void join() {
    for (;;) {
      std::vector<std::thread> threads;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        threads.swap(threads_);
      }
      if (threads.empty()) return;
      for (auto& thread : threads) thread.join();
    }
  }
  // No timer is accepted any more (teardown: the pool is about to go).
  void stop() {
    std::lock_guard<std::mutex> lock(mutex_);
    stopped_ = true;
  }

  void refuse_send_backs(int times) {
    std::lock_guard<std::mutex> lock(mutex_);
    refusals_ = times;
  }
  void set_grant_locks(bool grant) { grant_locks_ = grant; }
  void use_locker(std::shared_ptr<BrokerQueueLocker> locker) { locker_ = std::move(locker); }
  int lock_attempts() const { return lock_attempts_.load(); }

  std::vector<SendBack> send_backs() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return send_backs_;
  }
  std::int64_t committed(int queue_id) const {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = commits_.find(queue_id);
    return it == commits_.end() ? -1 : it->second;
  }
  std::vector<std::chrono::milliseconds> delays() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return delays_;
  }

 private:
  mutable std::mutex mutex_;
  int refusals_ = 0;
  bool stopped_ = false;
  std::vector<SendBack> send_backs_;
  std::map<int, std::int64_t> commits_;
  std::vector<std::chrono::milliseconds> delays_;
  std::vector<std::thread> threads_;
  std::atomic<bool> grant_locks_{true};
  std::atomic<int> lock_attempts_{0};
  std::shared_ptr<BrokerQueueLocker> locker_;
};

// Records every delivery (queue, offset, reconsume count, time) and flags two calls overlapping on
// one queue. The behaviour decides the result (Success by default).
class RecordingListener : public rocketmq::MessageListenerOrderly {
 public:
  struct Delivery {
    int queue_id;
    std::int64_t offset;
    int reconsume_times;
    std::chrono::steady_clock::time_point at;
  };
  using Behaviour = std::function<ConsumeResult(const std::vector<MessageExt>&)>;

  void set_behaviour(Behaviour behaviour) {
    std::lock_guard<std::mutex> lock(mutex_);
    behaviour_ = std::move(behaviour);
  }

  ConsumeResult consume_message(const std::vector<MessageExt>& messages) override {
    const int queue_id = messages.front().get_queue_id();
    Behaviour behaviour;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (++in_flight_[queue_id] > 1) overlaps_ = true;
      ++calls_;
      max_batch_ = std::max(max_batch_, messages.size());
      for (const auto& message : messages) {
        deliveries_.push_back(
            {queue_id, message.get_queue_offset(), message.get_reconsume_times(), std::chrono::steady_clock::now()});
      }
      behaviour = behaviour_;
      const int busy = static_cast<int>(std::count_if(in_flight_.begin(), in_flight_.end(),
                                                      [](const auto& entry) { return entry.second > 0; }));
      max_parallel_queues_ = std::max(max_parallel_queues_, busy);
    }
    ConsumeResult result = ConsumeResult::Success;
    try {
      if (behaviour) result = behaviour(messages);
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex_);
      --in_flight_[queue_id];
      throw;
    }
    std::lock_guard<std::mutex> lock(mutex_);
    --in_flight_[queue_id];
    return result;
  }

  std::vector<Delivery> deliveries() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return deliveries_;
  }
  std::vector<std::int64_t> offsets(int queue_id) const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<std::int64_t> offsets;
    for (const auto& delivery : deliveries_) {
      if (delivery.queue_id == queue_id) offsets.push_back(delivery.offset);
    }
    return offsets;
  }
  std::size_t delivered(int queue_id) const { return offsets(queue_id).size(); }
  bool overlaps() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return overlaps_;
  }
  std::size_t max_batch() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return max_batch_;
  }
  int max_parallel_queues() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return max_parallel_queues_;
  }

 private:
  mutable std::mutex mutex_;
  Behaviour behaviour_;
  std::vector<Delivery> deliveries_;
  std::map<int, int> in_flight_;
  bool overlaps_ = false;
  int calls_ = 0;
  std::size_t max_batch_ = 0;
  int max_parallel_queues_ = 0;
};

// Host, listener, pool, service and one locked process queue per queue id; torn down in a safe
// order (no more timers, pool drained, timer threads joined, then the service).
struct Harness {
  explicit Harness(ConsumeMessageOrderlyService::Options options, int queues = 1, int threads = 4)
      : pool(std::make_shared<ElasticThreadPool>("orderly-test", threads, threads)),
        service(std::make_shared<ConsumeMessageOrderlyService>(host, listener, pool, options)) {
    for (int id = 0; id < queues; ++id) {
      auto process_queue = std::make_shared<ProcessQueue>();
      process_queue->set_locked(true);  // as the rebalance leaves a newly owned queue
      process_queues.push_back(process_queue);
    }
  }

  ~Harness() {
    service->stop_dispatching();
    host->stop();
    pool->shutdown(10s);
    host->join();
  }

  // As the pull loop does: put, then submit.
  void deliver(int queue_id, const std::vector<MessageExt>& messages) {
    process_queues[queue_id]->put(messages);
    service->submit(messages, process_queues[queue_id], queue_of(queue_id));
  }

  std::shared_ptr<FakeOrderlyHost> host = std::make_shared<FakeOrderlyHost>();
  std::shared_ptr<RecordingListener> listener = std::make_shared<RecordingListener>();
  std::shared_ptr<ElasticThreadPool> pool;
  std::shared_ptr<ConsumeMessageOrderlyService> service;
  std::vector<std::shared_ptr<ProcessQueue>> process_queues;
};

ConsumeMessageOrderlyService::Options options_with(int batch_size, std::chrono::milliseconds suspend = 100ms,
                                                   int max_reconsume_times = 16) {
  ConsumeMessageOrderlyService::Options options;
  options.batch_size = batch_size;
  options.suspend_time = suspend;
  options.max_reconsume_times = max_reconsume_times;
  options.lock_retry_delay = 50ms;
  options.time_slice = 20ms;  // short, so queues rotate through the pool during the test
  return options;
}

std::vector<std::int64_t> iota_offsets(std::int64_t count) {
  std::vector<std::int64_t> offsets;
  for (std::int64_t offset = 0; offset < count; ++offset) offsets.push_back(offset);
  return offsets;
}

}  // namespace

TEST_CASE("Orderly consume delivers each queue in order with one call at a time per queue",
          "[consumer][consume_orderly]") {
  constexpr int kQueues = 6;
  constexpr std::int64_t kPerQueue = 300;
  Harness harness(options_with(3), kQueues, 4);
  harness.listener->set_behaviour([](const std::vector<MessageExt>& messages) {
    // Long enough for calls of different queues to overlap, and for pulls to arrive mid-call.
    std::this_thread::sleep_for(std::chrono::microseconds(200 + 50 * (messages.front().get_queue_offset() % 7)));
    return ConsumeResult::Success;
  });
  // Pull results of every queue interleaved, as several pull loops complete on the I/O thread.
  for (std::int64_t first = 0; first < kPerQueue; first += 32) {
    for (int id = 0; id < kQueues; ++id) {
      harness.deliver(id, make_messages(id, first, std::min<std::int64_t>(32, kPerQueue - first)));
    }
  }
  REQUIRE(wait_until(
      [&] {
        for (int id = 0; id < kQueues; ++id) {
          if (harness.host->committed(id) != kPerQueue) return false;
        }
        return true;
      },
      kDeadline));
  for (int id = 0; id < kQueues; ++id) {
    CAPTURE(id);
    CHECK(harness.listener->offsets(id) == iota_offsets(kPerQueue));
    CHECK(harness.process_queues[id]->cached_count() == 0);
  }
  CHECK_FALSE(harness.listener->overlaps());
  CHECK(harness.listener->max_batch() <= 3);
  CHECK(harness.listener->max_parallel_queues() > 1);  // queues do run in parallel
  CHECK(harness.service->stats().consumed_ok == kQueues * kPerQueue);
}

TEST_CASE("Orderly consume redelivers a ReconsumeLater batch after suspend_time before anything after it",
          "[consumer][consume_orderly]") {
  Harness harness(options_with(1, 300ms));
  std::atomic<int> failures{0};
  harness.listener->set_behaviour([&](const std::vector<MessageExt>& messages) {
    if (messages.front().get_queue_offset() == 5 && failures.load() < 2) {
      ++failures;
      return ConsumeResult::ReconsumeLater;
    }
    if (messages.front().get_queue_offset() == 8 && failures.load() == 2) {
      ++failures;
      throw std::runtime_error("a throwing listener counts as ReconsumeLater");
    }
    return ConsumeResult::Success;
  });
  harness.deliver(0, make_messages(0, 0, 12));
  REQUIRE(wait_until([&] { return harness.host->committed(0) == 12; }, kDeadline));

  const std::vector<std::int64_t> expected{0, 1, 2, 3, 4, 5, 5, 5, 6, 7, 8, 8, 9, 10, 11};
  CHECK(harness.listener->offsets(0) == expected);
  const auto deliveries = harness.listener->deliveries();
  // The reconsume count grows with every redelivery, and each one waited for the suspend time.
  CHECK(deliveries[5].reconsume_times == 0);
  CHECK(deliveries[6].reconsume_times == 1);
  CHECK(deliveries[7].reconsume_times == 2);
  CHECK(deliveries[8].reconsume_times == 0);
  CHECK(deliveries[11].reconsume_times == 1);
  CHECK(deliveries[6].at - deliveries[5].at >= 290ms);
  CHECK(deliveries[7].at - deliveries[6].at >= 290ms);
  CHECK(deliveries[11].at - deliveries[10].at >= 290ms);
  CHECK(harness.host->send_backs().empty());  // orderly never uses the retry topic
  CHECK(harness.service->stats().consumed_failed == 3);
}

TEST_CASE("Orderly consume never commits past a batch that is being retried", "[consumer][consume_orderly]") {
  Harness harness(options_with(2, 200ms));
  std::atomic<bool> fail{true};
  harness.listener->set_behaviour([&](const std::vector<MessageExt>& messages) {
    for (const auto& message : messages) {
      if (message.get_queue_offset() == 4 && fail.load()) return ConsumeResult::ReconsumeLater;
    }
    return ConsumeResult::Success;
  });
  harness.deliver(0, make_messages(0, 0, 10));
  REQUIRE(wait_until([&] { return harness.listener->delivered(0) >= 6; }, kDeadline));
  // Batches [0,1] [2,3] done, [4,5] failing: the committed offset stays at 4.
  CHECK(harness.host->committed(0) == 4);
  std::this_thread::sleep_for(250ms);
  CHECK(harness.host->committed(0) == 4);
  fail = false;
  REQUIRE(wait_until([&] { return harness.host->committed(0) == 10; }, kDeadline));
  const auto offsets = harness.listener->offsets(0);
  REQUIRE(offsets.size() >= 8);
  CHECK(std::vector<std::int64_t>(offsets.begin(), offsets.begin() + 6) ==
        std::vector<std::int64_t>{0, 1, 2, 3, 4, 5});
  // Then [4,5] again (as often as it failed), and only after it 6..9.
  REQUIRE(offsets.size() % 2 == 0);
  for (std::size_t i = 6; i + 4 < offsets.size(); i += 2) {
    CHECK(offsets[i] == 4);
    CHECK(offsets[i + 1] == 5);
  }
  CHECK(std::vector<std::int64_t>(offsets.end() - 4, offsets.end()) == std::vector<std::int64_t>{6, 7, 8, 9});
}

TEST_CASE("Orderly consume moves a message to the DLQ after max_reconsume_times and goes on",
          "[consumer][consume_orderly]") {
  Harness harness(options_with(1, 50ms, 2));
  harness.listener->set_behaviour([](const std::vector<MessageExt>& messages) {
    return messages.front().get_queue_offset() == 3 ? ConsumeResult::ReconsumeLater : ConsumeResult::Success;
  });
  harness.deliver(0, make_messages(0, 0, 6));
  REQUIRE(wait_until([&] { return harness.host->committed(0) == 6; }, kDeadline));
  // Delivered with reconsume counts 0, 1 and 2, then dead-lettered once with delay level -1.
  CHECK(harness.listener->offsets(0) == std::vector<std::int64_t>{0, 1, 2, 3, 3, 3, 4, 5});
  const auto send_backs = harness.host->send_backs();
  REQUIRE(send_backs.size() == 1);
  CHECK(send_backs[0].offset == 3);
  CHECK(send_backs[0].delay_level == -1);
  CHECK(send_backs[0].accepted);
  CHECK(harness.service->dead_lettered() == 1);
}

TEST_CASE("Orderly consume keeps the queue suspended while the DLQ send-back fails",
          "[consumer][consume_orderly]") {
  Harness harness(options_with(1, 50ms, 1));
  harness.host->refuse_send_backs(2);
  harness.listener->set_behaviour([](const std::vector<MessageExt>& messages) {
    return messages.front().get_queue_offset() == 1 ? ConsumeResult::ReconsumeLater : ConsumeResult::Success;
  });
  harness.deliver(0, make_messages(0, 0, 3));
  REQUIRE(wait_until([&] { return harness.host->committed(0) == 3; }, kDeadline));
  // Count 0 fails (retry), 1 fails and is refused twice (the queue stays on it), then accepted.
  CHECK(harness.listener->offsets(0) == std::vector<std::int64_t>{0, 1, 1, 1, 1, 2});
  const auto send_backs = harness.host->send_backs();
  REQUIRE(send_backs.size() == 3);
  CHECK_FALSE(send_backs[0].accepted);
  CHECK_FALSE(send_backs[1].accepted);
  CHECK(send_backs[2].accepted);
}

TEST_CASE("Orderly consume pauses a queue whose broker lock is lost until it is locked again",
          "[consumer][consume_orderly]") {
  auto options = options_with(1);
  options.lock_max_age = 30s;
  Harness harness(options, 2);
  auto& lost = *harness.process_queues[0];
  harness.listener->set_behaviour([&](const std::vector<MessageExt>& messages) {
    // The lock renewal refused queue 0 while its 10th message was being consumed.
    if (messages.front().get_queue_id() == 0 && messages.front().get_queue_offset() == 9) {
      harness.host->set_grant_locks(false);
      lost.set_locked(false);
    }
    return ConsumeResult::Success;
  });
  harness.deliver(0, make_messages(0, 0, 30));
  REQUIRE(wait_until([&] { return harness.host->committed(0) == 10; }, kDeadline));
  REQUIRE(wait_until([&] { return harness.host->lock_attempts() >= 3; }, kDeadline));
  // Paused: nothing past offset 9 while the lock is refused; the other queue is not affected.
  CHECK(harness.listener->delivered(0) == 10);
  CHECK(harness.service->lock_pauses() >= 3);
  harness.deliver(1, make_messages(1, 0, 5));
  REQUIRE(wait_until([&] { return harness.host->committed(1) == 5; }, kDeadline));
  CHECK(harness.listener->delivered(0) == 10);

  harness.host->set_grant_locks(true);
  REQUIRE(wait_until([&] { return harness.host->committed(0) == 30; }, kDeadline));
  CHECK(harness.listener->offsets(0) == iota_offsets(30));
  CHECK(lost.locked());
}

TEST_CASE("Orderly consume treats a lock not renewed within lock_max_age as lost", "[consumer][consume_orderly]") {
  auto options = options_with(1);
  options.lock_max_age = 200ms;
  Harness harness(options);
  harness.host->set_grant_locks(false);
  std::this_thread::sleep_for(250ms);  // the rebalance's lock is older than lock_max_age now
  harness.deliver(0, make_messages(0, 0, 5));
  REQUIRE(wait_until([&] { return harness.host->lock_attempts() >= 2; }, kDeadline));
  CHECK(harness.listener->delivered(0) == 0);
  harness.host->set_grant_locks(true);
  REQUIRE(wait_until([&] { return harness.host->committed(0) == 5; }, kDeadline));
}

TEST_CASE("Orderly consume in broadcasting needs no broker lock", "[consumer][consume_orderly]") {
  auto options = options_with(2);
  options.broadcasting = true;
  options.max_reconsume_times = 1;
  Harness harness(options);
  harness.process_queues[0]->set_locked(false);
  harness.host->set_grant_locks(false);
  harness.listener->set_behaviour([](const std::vector<MessageExt>& messages) {
    return messages.front().get_queue_offset() == 2 ? ConsumeResult::ReconsumeLater : ConsumeResult::Success;
  });
  harness.deliver(0, make_messages(0, 0, 6));
  REQUIRE(wait_until([&] { return harness.host->committed(0) == 6; }, kDeadline));
  CHECK(harness.host->lock_attempts() == 0);
  // [2,3] failed twice; then both are exhausted and skipped, without any send-back.
  CHECK(harness.listener->offsets(0) == std::vector<std::int64_t>{0, 1, 2, 3, 2, 3, 4, 5});
  CHECK(harness.host->send_backs().empty());
}

TEST_CASE("Orderly consume holds the consume lock until the batch is committed", "[consumer][consume_orderly]") {
  Harness harness(options_with(1));
  std::mutex gate_mutex;
  std::condition_variable gate_changed;
  bool entered = false;
  bool open = false;
  harness.listener->set_behaviour([&](const std::vector<MessageExt>&) {
    std::unique_lock<std::mutex> lock(gate_mutex);
    entered = true;
    gate_changed.notify_all();
    gate_changed.wait(lock, [&] { return open; });
    return ConsumeResult::Success;
  });
  auto& process_queue = *harness.process_queues[0];
  harness.deliver(0, make_messages(0, 0, 1));
  {
    std::unique_lock<std::mutex> lock(gate_mutex);
    REQUIRE(gate_changed.wait_for(lock, kDeadline, [&] { return entered; }));
  }
  // What the rebalance hand-over does: mark dropped, then wait for the consume lock.
  process_queue.mark_dropped();
  CHECK_FALSE(process_queue.consume_lock().try_lock_for(100ms));
  {
    std::lock_guard<std::mutex> lock(gate_mutex);
    open = true;
    gate_changed.notify_all();
  }
  REQUIRE(process_queue.consume_lock().try_lock_for(kDeadline));
  // Acquired only after the call returned and its offset was committed (dropped or not).
  CHECK(harness.host->committed(0) == 1);
  process_queue.consume_lock().unlock();
  // A dropped queue gets no further call.
  harness.deliver(0, make_messages(0, 1, 3));
  std::this_thread::sleep_for(100ms);
  CHECK(harness.listener->delivered(0) == 1);
}

TEST_CASE("Orderly consume starts no call after stop_dispatching and drops a result after close",
          "[consumer][consume_orderly]") {
  Harness harness(options_with(1));
  std::atomic<bool> release{false};
  std::atomic<bool> entered{false};
  harness.listener->set_behaviour([&](const std::vector<MessageExt>&) {
    entered = true;
    while (!release.load()) std::this_thread::sleep_for(1ms);
    return ConsumeResult::Success;
  });
  harness.deliver(0, make_messages(0, 0, 5));
  REQUIRE(wait_until([&] { return entered.load(); }, kDeadline));
  harness.service->close();  // the shutdown timeout passed with this call in flight
  release = true;
  REQUIRE(wait_until([&] { return harness.pool->busy() == 0; }, kDeadline));
  CHECK(harness.listener->delivered(0) == 1);
  CHECK(harness.host->committed(0) == -1);
  CHECK(harness.process_queues[0]->cached_count() == 5);  // uncommitted: delivered again later
  harness.deliver(0, make_messages(0, 5, 1));
  std::this_thread::sleep_for(50ms);
  CHECK(harness.listener->delivered(0) == 1);
}

TEST_CASE("Orderly consume pauses on a lock the fake broker gave to another client", "[consumer][consume_orderly]") {
  FakeMQClientAPI api;
  auto locker = std::make_shared<BrokerQueueLocker>(api, kGroup, kClientId, [](const std::string& broker_name) {
    return broker_name == "broker-a" ? std::optional<std::string>(kBrokerAddr) : std::nullopt;
  });
  auto options = options_with(1);
  Harness harness(options, 2);
  harness.host->use_locker(locker);
  std::map<MessageQueue, std::shared_ptr<ProcessQueue>> owned;
  for (int id = 0; id < 2; ++id) {
    harness.process_queues[id]->set_locked(false);
    REQUIRE(locker->lock(queue_of(id), *harness.process_queues[id]));  // as the rebalance does
    owned[queue_of(id)] = harness.process_queues[id];
  }
  CHECK(api.lock_owner(queue_of(0)) == std::optional<std::string>(kClientId));

  // Another client holds queue 0 at the broker now (our lock expired there): the renewal says so.
  api.set_lock_owner(queue_of(0), std::string("10.0.0.9@other"));
  locker->lock_all(owned);
  CHECK_FALSE(harness.process_queues[0]->locked());
  CHECK(harness.process_queues[1]->locked());
  const auto lock_call = api.lock_calls().back();
  CHECK(lock_call.broker_addr == kBrokerAddr);
  CHECK(lock_call.body.consumer_group == kGroup);
  CHECK(lock_call.body.mq_set.size() == 2);

  harness.deliver(0, make_messages(0, 0, 4));
  harness.deliver(1, make_messages(1, 0, 4));
  REQUIRE(wait_until([&] { return harness.host->committed(1) == 4; }, kDeadline));
  REQUIRE(wait_until([&] { return harness.service->lock_pauses() >= 2; }, kDeadline));
  CHECK(harness.listener->delivered(0) == 0);

  // The other client let go: the paused queue locks itself again and resumes.
  api.set_lock_owner(queue_of(0), std::nullopt);
  REQUIRE(wait_until([&] { return harness.host->committed(0) == 4; }, kDeadline));
  CHECK(harness.listener->offsets(0) == iota_offsets(4));
  CHECK(api.lock_owner(queue_of(0)) == std::optional<std::string>(kClientId));

  // A failed renewal changes nothing (the locks age out instead); unlock frees the queues.
  api.fail_next("lock_batch", FakeMQClientAPI::broker_error(1, "system error"));
  locker->lock_all(owned);
  CHECK(harness.process_queues[0]->locked());
  locker->unlock({queue_of(0), queue_of(1)}, false);
  CHECK_FALSE(api.lock_owner(queue_of(0)));
  CHECK_FALSE(api.lock_owner(queue_of(1)));
  REQUIRE(api.unlock_calls().size() == 1);
  CHECK_FALSE(api.unlock_calls()[0].oneway);
}

TEST_CASE("Process queue take and settle_taken keep queue order and the commit rule", "[consumer][consume_orderly]") {
  ProcessQueue process_queue;
  process_queue.put(make_messages(0, 10, 5));  // 10..14
  auto batch = process_queue.take(2);
  REQUIRE(batch.size() == 2);
  CHECK(batch[0].get_queue_offset() == 10);
  CHECK(batch[1].get_queue_offset() == 11);
  CHECK(process_queue.cached_count() == 5);  // taken messages still count
  CHECK(process_queue.min_cached_offset() == 10);
  CHECK_FALSE(process_queue.pulled_through(15));
  // Failed: both go back to the front, the same batch is taken again.
  CHECK(process_queue.settle_taken({}, {}) == 10);
  batch = process_queue.take(2);
  CHECK(batch[0].get_queue_offset() == 10);
  // 10 dead-lettered, 11 kept: the commit moves to 11.
  CHECK(process_queue.settle_taken({batch[0]}, {}) == 11);
  CHECK(process_queue.cached_count() == 4);
  batch = process_queue.take(10);
  CHECK(batch.size() == 4);
  CHECK(process_queue.settle_taken(batch, {}) == 15);
  CHECK(process_queue.cached_count() == 0);
  CHECK(process_queue.take(1).empty());
  CHECK(process_queue.begin_dispatch());
  CHECK_FALSE(process_queue.begin_dispatch());
  process_queue.put(make_messages(0, 15, 1));
  CHECK_FALSE(process_queue.end_dispatch_if_idle());
  process_queue.settle_taken(process_queue.take(1), {});
  CHECK(process_queue.end_dispatch_if_idle());
  CHECK(process_queue.begin_dispatch());
}

TEST_CASE("Consume lock: exclusive, timed acquisition waits for the holder's release", "[consumer][consume_orderly]") {
  rocketmq::consumer::ConsumeLock consume_lock;
  consume_lock.lock();
  CHECK_FALSE(consume_lock.try_lock());
  const auto started = std::chrono::steady_clock::now();
  CHECK_FALSE(consume_lock.try_lock_for(50ms));
  CHECK(std::chrono::steady_clock::now() - started >= 50ms);
  std::thread holder([&] {
    std::this_thread::sleep_for(50ms);
    consume_lock.unlock();
  });
  CHECK(consume_lock.try_lock_for(kDeadline));  // as soon as the holder lets go
  holder.join();
  consume_lock.unlock();
  std::unique_lock<rocketmq::consumer::ConsumeLock> guard(consume_lock, std::defer_lock);
  CHECK(guard.try_lock_for(10ms));
}

TEST_CASE("Orderly consume logs and counts a call over consume_timeout and keeps the order",
          "[consumer][consume_orderly]") {
  auto options = options_with(2);
  options.consume_timeout = 30ms;
  Harness harness(options);
  harness.listener->set_behaviour([](const std::vector<MessageExt>& messages) {
    if (messages.front().get_queue_offset() == 2) std::this_thread::sleep_for(100ms);  // one slow call
    return ConsumeResult::Success;
  });
  harness.deliver(0, make_messages(0, 0, 6));
  REQUIRE(wait_until([&] { return harness.host->committed(0) == 6; }, kDeadline));
  CHECK(harness.listener->offsets(0) == iota_offsets(6));
  CHECK(harness.service->stats().timed_out == 2);  // the two messages of the slow call
  CHECK(harness.service->stats().consumed_ok == 6);
}

TEST_CASE("Orderly consume parks a suspended queue's batches in the gate and resumes them in order",
          "[consumer][consume_orderly]") {
  Harness harness(options_with(1), 2);
  auto gate = std::make_shared<rocketmq::consumer::ConsumeGate>();
  harness.service->set_gate(gate);
  REQUIRE(gate->suspend_queues({queue_of(0)}, 1s));
  harness.deliver(0, make_messages(0, 0, 5));
  harness.deliver(1, make_messages(1, 0, 5));
  REQUIRE(wait_until([&] { return harness.host->committed(1) == 5; }, kDeadline));
  CHECK(harness.listener->offsets(0).empty());  // nothing of the suspended queue started
  CHECK(harness.process_queues[0]->cached_count() == 5);
  gate->resume_queues({queue_of(0)});
  REQUIRE(wait_until([&] { return harness.host->committed(0) == 5; }, kDeadline));
  CHECK(harness.listener->offsets(0) == iota_offsets(5));
  CHECK_FALSE(harness.listener->overlaps());
}
