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
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "common/elastic_thread_pool.h"
#include "consumer/consume_host.h"
#include "consumer/consume_message_concurrently_service.h"
#include "consumer/message_ext_data.h"
#include "consumer/process_queue.h"
#include "rocketmq/message_listener.h"
#include "support/test_env.h"

using namespace std::chrono_literals;
using rocketmq::ConsumeResult;
using rocketmq::MessageExt;
using rocketmq::MessageQueue;
using rocketmq::common::ElasticThreadPool;
using rocketmq::consumer::ConsumeHost;
using rocketmq::consumer::ConsumeMessageConcurrentlyService;
using rocketmq::consumer::ProcessQueue;
using rocketmq::test::wait_until;

namespace {

constexpr auto kDeadline = 10s;
constexpr const char* kTopic = "TopicConsume";

MessageQueue test_queue() {
  MessageQueue queue;
  queue.topic = kTopic;
  queue.broker_name = "broker-a";
  queue.queue_id = 3;
  return queue;
}

MessageExt make_message(std::int64_t offset) {
  auto data = std::make_shared<rocketmq::detail::MessageExtData>();
  data->stored.queue_offset = offset;
  data->stored.queue_id = 3;
  data->stored.commit_log_offset = 1000 + offset;
  data->stored.topic = kTopic;
  data->stored.msg_id = "MSG" + std::to_string(offset);
  data->stored.offset_msg_id = "OFF" + std::to_string(offset);
  data->stored.body = "body-" + std::to_string(offset);
  data->topic = kTopic;
  data->broker_name = "broker-a";
  return rocketmq::detail::MessageExtAccess::make(std::move(data));
}

std::vector<MessageExt> make_messages(std::int64_t first, std::int64_t count) {
  std::vector<MessageExt> messages;
  for (std::int64_t offset = first; offset < first + count; ++offset)
    messages.push_back(make_message(offset));
  return messages;
}

class Gate {
 public:
  void wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    opened_.wait(lock, [this] { return open_; });
  }
  void open() {
    std::lock_guard<std::mutex> lock(mutex_);
    open_ = true;
    opened_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable opened_;
  bool open_ = false;
};

// Records the host calls the service makes. send_message_back can refuse the first N attempts for
// an offset (or all of them); run_later runs its task on a helper thread, immediately unless
// honor_delay is set.
class FakeConsumeHost : public ConsumeHost {
 public:
  struct SendBack {
    std::int64_t offset;
    int delay_level;
    bool accepted;
  };
  struct Commit {
    MessageQueue queue;
    std::int64_t offset;
  };

  ~FakeConsumeHost() override { join(); }

  bool send_message_back(const MessageExt& message, int delay_level) override {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto offset = message.get_queue_offset();
    bool accepted = true;
    if (refuse_all_) {
      accepted = false;
    } else if (auto it = refusals_.find(offset); it != refusals_.end() && it->second > 0) {
      --it->second;
      accepted = false;
    }
    send_backs_.push_back({offset, delay_level, accepted});
    return accepted;
  }

  void commit_offset(const MessageQueue& queue, const rocketmq::consumer::ProcessQueue&, std::int64_t offset) override {
    std::lock_guard<std::mutex> lock(mutex_);
    commits_.push_back({queue, offset});
  }

  void run_later(std::chrono::milliseconds delay, std::function<void()> task) override {
    std::lock_guard<std::mutex> lock(mutex_);
    delays_.push_back(delay);
    ++pending_;
    const auto wait = honor_delay_ ? delay : 0ms;
    threads_.emplace_back([this, wait, task = std::move(task)] {
      if (wait > 0ms) std::this_thread::sleep_for(wait);
      task();
      --pending_;
    });
  }

  // Joins the helper threads, including any started by tasks of the ones joined.
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

  void refuse(std::int64_t offset, int times) {
    std::lock_guard<std::mutex> lock(mutex_);
    refusals_[offset] = times;
  }
  void set_refuse_all(bool value) {
    std::lock_guard<std::mutex> lock(mutex_);
    refuse_all_ = value;
  }
  void set_honor_delay(bool value) {
    std::lock_guard<std::mutex> lock(mutex_);
    honor_delay_ = value;
  }

  std::vector<SendBack> send_backs() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return send_backs_;
  }
  std::vector<std::int64_t> commits() const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<std::int64_t> offsets;
    for (const auto& commit : commits_) offsets.push_back(commit.offset);
    return offsets;
  }
  std::vector<Commit> commit_records() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return commits_;
  }
  std::size_t commit_count() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return commits_.size();
  }
  std::int64_t max_commit() const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::int64_t best = -1;
    for (const auto& commit : commits_) best = std::max(best, commit.offset);
    return best;
  }
  std::vector<std::chrono::milliseconds> delays() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return delays_;
  }
  int pending() const { return pending_.load(); }

 private:
  mutable std::mutex mutex_;
  bool refuse_all_ = false;
  std::map<std::int64_t, int> refusals_;
  std::vector<SendBack> send_backs_;
  std::vector<Commit> commits_;
  std::vector<std::chrono::milliseconds> delays_;
  std::vector<std::thread> threads_;
  std::atomic<int> pending_{0};
  bool honor_delay_ = false;
};

// Records every batch it is given and answers through a replaceable behaviour (Success by default).
class ScriptedListener : public rocketmq::MessageListenerConcurrently {
 public:
  using Behaviour = std::function<ConsumeResult(const std::vector<MessageExt>&, int delivery)>;

  void set_behaviour(Behaviour behaviour) { behaviour_ = std::move(behaviour); }

  ConsumeResult consume_message(const std::vector<MessageExt>& messages) override {
    int delivery = 0;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      std::vector<std::int64_t> offsets;
      for (const auto& message : messages) {
        offsets.push_back(message.get_queue_offset());
        delivery = std::max(delivery, ++deliveries_[message.get_queue_offset()]);
      }
      batches_.push_back(offsets);
    }
    struct Finish {
      std::atomic<int>& finished;
      ~Finish() { ++finished; }
    } finish{finished_};
    return behaviour_ ? behaviour_(messages, delivery) : ConsumeResult::Success;
  }

  std::vector<std::vector<std::int64_t>> batches() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return batches_;
  }
  int deliveries(std::int64_t offset) const {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = deliveries_.find(offset);
    return it == deliveries_.end() ? 0 : it->second;
  }
  int calls() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return static_cast<int>(batches_.size());
  }
  int finished() const { return finished_.load(); }

 private:
  Behaviour behaviour_;
  mutable std::mutex mutex_;
  std::vector<std::vector<std::int64_t>> batches_;
  std::map<std::int64_t, int> deliveries_;
  std::atomic<int> finished_{0};
};

// Host, pool, listener and service, torn down in a safe order: open gates, stop the pool, join the
// host's helper threads, and only then destroy the service they call.
struct Harness {
  explicit Harness(int batch_size, int threads = 4, std::chrono::milliseconds consume_timeout = 15min,
                   bool broadcasting = false)
      : pool_owner(std::make_shared<ElasticThreadPool>("consume-test", threads, threads)),
        pool(*pool_owner),
        service(std::make_shared<ConsumeMessageConcurrentlyService>(host_owner, listener_owner, pool_owner,
                                                                    batch_size, consume_timeout, broadcasting)),
        process_queue(std::make_shared<ProcessQueue>()) {}

  ~Harness() {
    gate.open();
    pool.shutdown(10s);
    host.join();
  }

  // Puts messages into the process queue (as the pull loop does) and submits them.
  void deliver(const std::vector<MessageExt>& messages) {
    process_queue->put(messages);
    service->submit(messages, process_queue, test_queue());
  }

  // Nothing queued or running anywhere. Read in this order, and only if no pool task completed in
  // between: a helper thread submits before it stops counting as pending, and a pool task that starts
  // a helper (run_later) is still busy or already counted in completed() when it has.
  bool idle() const {
    const auto completed = pool.completed();
    return host.pending() == 0 && pool.queued() == 0 && pool.busy() == 0 && pool.completed() == completed;
  }

  // The service co-owns the listener and the pool and holds the host weakly, as in a consumer.
  std::shared_ptr<FakeConsumeHost> host_owner = std::make_shared<FakeConsumeHost>();
  FakeConsumeHost& host = *host_owner;
  std::shared_ptr<ScriptedListener> listener_owner = std::make_shared<ScriptedListener>();
  ScriptedListener& listener = *listener_owner;
  Gate gate;
  std::shared_ptr<ElasticThreadPool> pool_owner;
  ElasticThreadPool& pool;
  std::shared_ptr<ConsumeMessageConcurrentlyService> service;
  std::shared_ptr<ProcessQueue> process_queue;
};

}  // namespace

TEST_CASE("Concurrent consume commits the lowest offset still held", "[consumer][consume_concurrently]") {
  Harness harness(1, 4);
  harness.listener.set_behaviour([&](const std::vector<MessageExt>& messages, int) {
    if (messages.front().get_queue_offset() == 0) harness.gate.wait();
    return ConsumeResult::Success;
  });
  harness.deliver(make_messages(0, 10));

  // A fast listener's pull result runs as one task. With 0 stuck for over 100 ms, the rescue (every
  // 100 ms in a consumer) gives it a helper task, which consumes 1..9: each commit is 0, the lowest
  // offset held.
  REQUIRE(wait_until(
      [&] {
        harness.service->rescue_stalled_work();
        return harness.host.commit_count() == 9;
      },
      kDeadline, 20ms));
  for (auto offset : harness.host.commits()) CHECK(offset == 0);
  CHECK(harness.process_queue->cached_count() == 1);
  CHECK(harness.process_queue->min_cached_offset() == 0);

  // 0 completes: the committed offset jumps past everything.
  harness.gate.open();
  REQUIRE(wait_until([&] { return harness.host.commit_count() == 10; }, kDeadline));
  const auto records = harness.host.commit_records();
  CHECK(records.back().offset == 10);
  for (const auto& record : records) CHECK(record.queue == test_queue());
  CHECK(harness.process_queue->cached_count() == 0);
  CHECK(harness.host.send_backs().empty());
  CHECK(harness.service->stats().consumed_ok == 10);
  CHECK(harness.service->stats().consumed_failed == 0);
}

TEST_CASE("Concurrent consume spreads a slow listener's batches of one pull over the pool",
          "[consumer][consume_concurrently]") {
  Harness harness(1, 4);
  std::atomic<int> running{0};
  std::atomic<int> most_running{0};
  harness.listener.set_behaviour([&](const std::vector<MessageExt>&, int) {
    const int now = ++running;
    for (int seen = most_running.load(); now > seen && !most_running.compare_exchange_weak(seen, now);) {
    }
    std::this_thread::sleep_for(5ms);
    --running;
    return ConsumeResult::Success;
  });
  // The first pull result runs as one task (no call time measured yet): one call at a time.
  harness.deliver(make_messages(0, 4));
  REQUIRE(wait_until([&] { return harness.host.max_commit() == 4 && harness.idle(); }, kDeadline));
  CHECK(most_running.load() == 1);
  // 5 ms calls are far more than one task's worth of work: the next pull's batches run side by side.
  harness.deliver(make_messages(4, 12));
  REQUIRE(wait_until([&] { return harness.host.max_commit() == 16 && harness.idle(); }, kDeadline));
  CHECK(most_running.load() >= 2);
  CHECK(harness.service->stats().consumed_ok == 16);
}

TEST_CASE("Concurrent consume delivers batches of at most consume_batch_size",
          "[consumer][consume_concurrently]") {
  const int batch_size = GENERATE(1, 10);
  Harness harness(batch_size, 3);
  harness.deliver(make_messages(0, 25));
  harness.deliver(make_messages(25, 3));  // a second pull: batches never span two submits

  REQUIRE(
      wait_until([&] { return harness.process_queue->cached_count() == 0 && harness.idle(); }, kDeadline));
  const auto batches = harness.listener.batches();
  std::multiset<std::size_t> sizes;
  std::set<std::int64_t> seen;
  for (const auto& batch : batches) {
    CHECK(batch.size() <= static_cast<std::size_t>(batch_size));
    CHECK_FALSE(batch.empty());
    sizes.insert(batch.size());
    for (std::size_t i = 1; i < batch.size(); ++i) CHECK(batch[i] == batch[i - 1] + 1);
    for (auto offset : batch) CHECK(seen.insert(offset).second);  // each message exactly once
  }
  CHECK(seen.size() == 28);
  if (batch_size == 1) {
    CHECK(batches.size() == 28);
  } else {
    CHECK(sizes == std::multiset<std::size_t>{10, 10, 5, 3});
  }
  CHECK(harness.host.max_commit() == 28);
  CHECK(harness.service->stats().consumed_ok == 28);
}

TEST_CASE("Concurrent consume sends a failed batch back and commits past it",
          "[consumer][consume_concurrently]") {
  Harness harness(4, 1);
  SECTION("ReconsumeLater") {
    harness.listener.set_behaviour(
        [](const std::vector<MessageExt>&, int) { return ConsumeResult::ReconsumeLater; });
  }
  SECTION("a listener that throws a std::exception") {
    harness.listener.set_behaviour([](const std::vector<MessageExt>&, int) -> ConsumeResult {
      throw std::runtime_error("listener bug");
    });
  }
  SECTION("a listener that throws something else") {
    harness.listener.set_behaviour([](const std::vector<MessageExt>&, int) -> ConsumeResult { throw 42; });
  }
  harness.deliver(make_messages(0, 4));

  REQUIRE(wait_until([&] { return harness.host.commit_count() == 1 && harness.idle(); }, kDeadline));
  const auto send_backs = harness.host.send_backs();
  REQUIRE(send_backs.size() == 4);
  for (std::size_t i = 0; i < send_backs.size(); ++i) {
    CHECK(send_backs[i].offset == static_cast<std::int64_t>(i));
    CHECK(send_backs[i].delay_level == 0);
  }
  CHECK(harness.host.commits() == std::vector<std::int64_t>{4});
  CHECK(harness.process_queue->cached_count() == 0);
  CHECK(harness.listener.calls() == 1);  // the broker redelivers, not the service
  CHECK(harness.host.delays().empty());
  CHECK(harness.service->stats().consumed_failed == 4);
  CHECK(harness.service->stats().consumed_ok == 0);
}

TEST_CASE("Concurrent consume keeps a message the broker refused and retries it locally",
          "[consumer][consume_concurrently]") {
  // One consume thread: settles happen in order, so the sequence of commits is deterministic.
  Harness harness(1, 1);

  SECTION("until the listener succeeds") {
    harness.host.set_refuse_all(true);
    harness.listener.set_behaviour([](const std::vector<MessageExt>& messages, int delivery) {
      return messages.front().get_queue_offset() == 0 && delivery < 3 ? ConsumeResult::ReconsumeLater
                                                                      : ConsumeResult::Success;
    });
    harness.deliver(make_messages(0, 3));

    REQUIRE(
        wait_until([&] { return harness.process_queue->cached_count() == 0 && harness.idle(); }, kDeadline));
    CHECK(harness.listener.deliveries(0) == 3);
    CHECK(harness.listener.deliveries(1) == 1);
    CHECK(harness.listener.deliveries(2) == 1);
    const auto send_backs = harness.host.send_backs();
    REQUIRE(send_backs.size() == 2);
    for (const auto& send_back : send_backs) {
      CHECK(send_back.offset == 0);
      CHECK_FALSE(send_back.accepted);
    }
    CHECK(harness.host.delays() == std::vector<std::chrono::milliseconds>{5000ms, 5000ms});
  }

  SECTION("until the broker takes it") {
    harness.host.refuse(0, 1);
    harness.listener.set_behaviour([](const std::vector<MessageExt>& messages, int) {
      return messages.front().get_queue_offset() == 0 ? ConsumeResult::ReconsumeLater
                                                      : ConsumeResult::Success;
    });
    harness.deliver(make_messages(0, 3));

    REQUIRE(
        wait_until([&] { return harness.process_queue->cached_count() == 0 && harness.idle(); }, kDeadline));
    CHECK(harness.listener.deliveries(0) == 2);
    const auto send_backs = harness.host.send_backs();
    REQUIRE(send_backs.size() == 2);
    CHECK_FALSE(send_backs[0].accepted);
    CHECK(send_backs[1].accepted);
    CHECK(harness.host.delays() == std::vector<std::chrono::milliseconds>{5000ms});
  }

  // While 0 was held every commit was 0; the last one goes past all three.
  const auto commits = harness.host.commits();
  REQUIRE_FALSE(commits.empty());
  CHECK(commits.back() == 3);
  for (std::size_t i = 0; i + 1 < commits.size(); ++i) CHECK(commits[i] == 0);
}

TEST_CASE("Concurrent consume in broadcasting drops failures without send-back",
          "[consumer][consume_concurrently]") {
  Harness harness(2, 2, 15min, /*broadcasting=*/true);
  harness.host.set_refuse_all(true);  // would pin the offset if the service tried
  harness.listener.set_behaviour([](const std::vector<MessageExt>& messages, int) {
    return messages.front().get_queue_offset() % 4 == 0 ? ConsumeResult::ReconsumeLater
                                                        : ConsumeResult::Success;
  });
  harness.deliver(make_messages(0, 8));

  REQUIRE(
      wait_until([&] { return harness.process_queue->cached_count() == 0 && harness.idle(); }, kDeadline));
  CHECK(harness.host.send_backs().empty());
  CHECK(harness.host.delays().empty());
  CHECK(harness.host.max_commit() == 8);
  CHECK(harness.listener.calls() == 4);  // no local redelivery either
  CHECK(harness.service->stats().consumed_failed == 4);
  CHECK(harness.service->stats().consumed_ok == 4);
}

TEST_CASE("Concurrent consume ignores batches of a dropped process queue",
          "[consumer][consume_concurrently]") {
  Harness harness(1, 2);

  SECTION("dropped before the batch runs") {
    harness.process_queue->put(make_messages(0, 3));
    harness.process_queue->mark_dropped();
    const auto completed_before = harness.pool.completed();
    harness.service->submit(make_messages(0, 3), harness.process_queue, test_queue());
    REQUIRE(wait_until([&] { return harness.pool.completed() >= completed_before + 1 && harness.idle(); },
                       kDeadline));
    CHECK(harness.listener.calls() == 0);
  }

  SECTION("dropped while the listener runs") {
    harness.listener.set_behaviour([&](const std::vector<MessageExt>&, int) {
      harness.gate.wait();
      return ConsumeResult::ReconsumeLater;
    });
    harness.deliver(make_messages(0, 1));
    REQUIRE(wait_until([&] { return harness.listener.calls() == 1; }, kDeadline));
    harness.process_queue->mark_dropped();
    harness.gate.open();
    REQUIRE(wait_until([&] { return harness.listener.finished() == 1 && harness.idle(); }, kDeadline));
    CHECK(harness.host.send_backs().empty());
    // The new owner consumes it again: it is neither removed nor retried here.
    CHECK(harness.host.delays().empty());
  }

  CHECK(harness.host.commit_count() == 0);
}

TEST_CASE("Concurrent consume hands back a batch that exceeds consume_timeout",
          "[consumer][consume_concurrently]") {
  // Before the harness: after a failed REQUIRE the stuck listener call still sets it during teardown.
  std::atomic<bool> stuck_returned{false};
  Harness harness(1, 2, 50ms);
  harness.listener.set_behaviour([&](const std::vector<MessageExt>& messages, int delivery) {
    if (messages.front().get_queue_offset() == 0 && delivery == 1) {
      harness.gate.wait();
      stuck_returned = true;
    }
    return ConsumeResult::Success;
  });
  harness.deliver(make_messages(0, 3));

  // The stuck call's pull result gets a helper task for the other two batches.
  REQUIRE(wait_until(
      [&] {
        harness.service->rescue_stalled_work();
        return harness.host.commit_count() == 2;
      },
      kDeadline, 20ms));
  CHECK(harness.host.commits() == std::vector<std::int64_t>{0, 0});

  // Called periodically by the consumer; here until the stuck batch is handed back.
  REQUIRE(wait_until(
      [&] {
        harness.service->expire_slow_batches();
        return !harness.host.send_backs().empty();
      },
      kDeadline, 10ms));
  const auto send_backs = harness.host.send_backs();
  REQUIRE(send_backs.size() == 1);
  CHECK(send_backs[0].offset == 0);
  CHECK(send_backs[0].delay_level == 3);
  CHECK(harness.host.commits() == std::vector<std::int64_t>{0, 0, 3});
  CHECK(harness.process_queue->cached_count() == 0);
  CHECK(harness.service->stats().timed_out == 1);

  // Expiring again finds nothing new.
  harness.service->expire_slow_batches();
  CHECK(harness.host.send_backs().size() == 1);

  // The stuck call finally succeeds: its late result is ignored.
  harness.gate.open();
  REQUIRE(
      wait_until([&] { return stuck_returned.load() && harness.listener.finished() == 3 && harness.idle(); },
                 kDeadline));
  CHECK(harness.host.commits() == std::vector<std::int64_t>{0, 0, 3});
  CHECK(harness.host.send_backs().size() == 1);
  CHECK(harness.service->stats().consumed_ok == 2);
  CHECK(harness.service->stats().consumed_failed == 0);
  CHECK(harness.listener.deliveries(0) == 1);
}

TEST_CASE("Concurrent consume queues one rescue helper per stuck pull result, however often the scan runs",
          "[consumer][consume_concurrently]") {
  // One thread, stuck in the first batch: a helper can only wait in the pool's queue.
  Harness harness(1, 1);
  harness.listener.set_behaviour([&](const std::vector<MessageExt>& messages, int) {
    if (messages.front().get_queue_offset() == 0) harness.gate.wait();
    return ConsumeResult::Success;
  });
  harness.deliver(make_messages(0, 3));
  REQUIRE(wait_until([&] { return harness.listener.calls() == 1; }, kDeadline));
  REQUIRE(wait_until(
      [&] {
        harness.service->rescue_stalled_work();
        return harness.pool.queued() == 1;
      },
      kDeadline, 20ms));
  for (int i = 0; i < 5; ++i) {
    std::this_thread::sleep_for(20ms);
    harness.service->rescue_stalled_work();
  }
  CHECK(harness.pool.queued() == 1);
  harness.gate.open();
  REQUIRE(wait_until([&] { return harness.host.max_commit() == 3 && harness.idle(); }, kDeadline));
  CHECK(harness.listener.calls() == 3);
}

TEST_CASE("Concurrent consume hands back batches that waited for a thread longer than consume_timeout",
          "[consumer][consume_concurrently]") {
  // One consume thread, stuck in the first batch's call: the other batches of the pull result never
  // start, and would pin the committed offset for as long as the call hangs.
  Harness harness(1, 1, 50ms);
  harness.listener.set_behaviour([&](const std::vector<MessageExt>& messages, int) {
    if (messages.front().get_queue_offset() == 0) harness.gate.wait();
    return ConsumeResult::Success;
  });
  harness.deliver(make_messages(0, 3));
  REQUIRE(wait_until([&] { return harness.listener.calls() == 1; }, kDeadline));

  REQUIRE(wait_until(
      [&] {
        harness.service->expire_slow_batches();
        return harness.host.send_backs().size() == 3;
      },
      kDeadline, 10ms));
  CHECK(harness.host.max_commit() == 3);
  CHECK(harness.process_queue->cached_count() == 0);
  CHECK(harness.service->stats().timed_out == 3);

  // Once the thread is free, the batches handed back are not delivered here as well.
  harness.gate.open();
  REQUIRE(wait_until([&] { return harness.listener.finished() == 1 && harness.idle(); }, kDeadline));
  CHECK(harness.listener.deliveries(1) == 0);
  CHECK(harness.listener.deliveries(2) == 0);
  CHECK(harness.host.send_backs().size() == 3);
}

TEST_CASE("Concurrent consume retries a timed-out batch locally when the broker refuses it",
          "[consumer][consume_concurrently]") {
  Harness harness(1, 2, 50ms);
  harness.host.refuse(0, 1);
  harness.listener.set_behaviour([&](const std::vector<MessageExt>&, int delivery) {
    if (delivery == 1) harness.gate.wait();
    return ConsumeResult::Success;
  });
  harness.deliver(make_messages(0, 1));
  REQUIRE(wait_until([&] { return harness.listener.calls() == 1; }, kDeadline));

  REQUIRE(wait_until(
      [&] {
        harness.service->expire_slow_batches();
        return !harness.host.send_backs().empty();
      },
      kDeadline, 10ms));
  // Refused: the message stays held and comes back through run_later; the redelivery succeeds.
  REQUIRE(wait_until([&] { return harness.listener.deliveries(0) == 2 && harness.host.max_commit() == 1; },
                     kDeadline));
  CHECK(harness.host.delays() == std::vector<std::chrono::milliseconds>{5000ms});
  CHECK(harness.process_queue->cached_count() == 0);
  // While it was held the commit stayed at 0.
  CHECK(harness.host.commits() == std::vector<std::int64_t>{0, 1});

  const auto commits_before = harness.host.commit_count();
  harness.gate.open();
  REQUIRE(wait_until([&] { return harness.listener.finished() == 2 && harness.idle(); }, kDeadline));
  CHECK(harness.host.commit_count() == commits_before);
  CHECK(harness.service->stats().timed_out == 1);
}

TEST_CASE("Concurrent consume does not expire a batch within consume_timeout",
          "[consumer][consume_concurrently]") {
  Harness harness(1, 1, 1h);
  harness.listener.set_behaviour([&](const std::vector<MessageExt>&, int) {
    harness.gate.wait();
    return ConsumeResult::Success;
  });
  harness.deliver(make_messages(0, 1));
  REQUIRE(wait_until([&] { return harness.listener.calls() == 1; }, kDeadline));
  harness.service->expire_slow_batches();
  CHECK(harness.host.send_backs().empty());
  CHECK(harness.host.commit_count() == 0);
  harness.gate.open();
  REQUIRE(wait_until([&] { return harness.host.commit_count() == 1; }, kDeadline));
  CHECK(harness.host.commits() == std::vector<std::int64_t>{1});
  CHECK(harness.service->stats().timed_out == 0);
}

TEST_CASE("Concurrent consume_directly calls the listener on the caller's thread",
          "[consumer][consume_concurrently]") {
  Harness harness(1, 1);
  const auto caller = std::this_thread::get_id();
  std::atomic<bool> same_thread{false};
  harness.listener.set_behaviour([&](const std::vector<MessageExt>& messages, int) {
    same_thread = std::this_thread::get_id() == caller;
    if (messages.front().get_queue_offset() == 1) throw std::runtime_error("bad message");
    return ConsumeResult::Success;
  });
  CHECK(harness.service->consume_directly(make_message(0)) == ConsumeResult::Success);
  CHECK(same_thread.load());
  CHECK(harness.service->consume_directly(make_message(1)) == ConsumeResult::ReconsumeLater);
  // Nothing is committed or sent back for a direct call.
  CHECK(harness.host.commit_count() == 0);
  CHECK(harness.host.send_backs().empty());
}
