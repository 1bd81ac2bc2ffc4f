#include <catch2/catch.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "consumer/message_ext_data.h"
#include "consumer/process_queue.h"

using rocketmq::MessageExt;
using rocketmq::consumer::ProcessQueue;

namespace {

MessageExt make_message(std::int64_t offset, std::size_t body_size = 10) {
  auto data = std::make_shared<rocketmq::detail::MessageExtData>();
  data->stored.queue_offset = offset;
  data->stored.queue_id = 0;
  data->stored.topic = "TopicTest";
  data->stored.msg_id = "MSG" + std::to_string(offset);
  data->stored.body.assign(body_size, 'x');
  data->topic = "TopicTest";
  data->broker_name = "broker-a";
  return rocketmq::detail::MessageExtAccess::make(std::move(data));
}

std::vector<MessageExt> make_messages(std::int64_t first, std::int64_t count, std::size_t body_size = 10) {
  std::vector<MessageExt> messages;
  for (std::int64_t offset = first; offset < first + count; ++offset) {
    messages.push_back(make_message(offset, body_size));
  }
  return messages;
}

}  // namespace

TEST_CASE("ProcessQueue starts empty with no committable offset", "[consumer][process_queue]") {
  ProcessQueue queue;
  CHECK(queue.cached_count() == 0);
  CHECK(queue.cached_bytes() == 0);
  CHECK(queue.span() == 0);
  CHECK(queue.min_cached_offset() == -1);
  CHECK(queue.max_cached_offset() == -1);
  CHECK_FALSE(queue.dropped());
  // Nothing ever put: -1, even for a remove of messages the queue never saw.
  CHECK(queue.remove({}) == -1);
  CHECK(queue.remove(make_messages(0, 3)) == -1);
  CHECK(queue.cached_count() == 0);
  CHECK(queue.cached_bytes() == 0);
}

TEST_CASE("ProcessQueue put counts new messages and bytes", "[consumer][process_queue]") {
  ProcessQueue queue;
  CHECK(queue.put(make_messages(100, 5, 7)) == 5);
  CHECK(queue.cached_count() == 5);
  CHECK(queue.cached_bytes() == 35);
  CHECK(queue.min_cached_offset() == 100);
  CHECK(queue.max_cached_offset() == 104);
  CHECK(queue.span() == 4);

  SECTION("an empty put changes nothing") {
    CHECK(queue.put({}) == 0);
    CHECK(queue.cached_count() == 5);
    CHECK(queue.cached_bytes() == 35);
  }

  SECTION("duplicates of held offsets are ignored") {
    // 103 and 104 are held; 105 and 106 are new. A duplicate with a different body must not change
    // the byte count either.
    std::vector<MessageExt> overlapping{make_message(103, 1000), make_message(104, 1000),
                                        make_message(105, 3), make_message(106, 3)};
    CHECK(queue.put(overlapping) == 2);
    CHECK(queue.cached_count() == 7);
    CHECK(queue.cached_bytes() == 35 + 6);
    CHECK(queue.max_cached_offset() == 106);
    CHECK(queue.span() == 6);
  }

  SECTION("duplicates inside one put are counted once") {
    std::vector<MessageExt> twice{make_message(200, 4), make_message(200, 4)};
    CHECK(queue.put(twice) == 1);
    CHECK(queue.cached_count() == 6);
    CHECK(queue.cached_bytes() == 39);
  }

  SECTION("a full duplicate put adds nothing") {
    CHECK(queue.put(make_messages(100, 5, 7)) == 0);
    CHECK(queue.cached_count() == 5);
    CHECK(queue.cached_bytes() == 35);
  }
}

TEST_CASE("ProcessQueue remove returns the lowest offset still held", "[consumer][process_queue]") {
  ProcessQueue queue;
  const auto messages = make_messages(10, 5, 2);  // offsets 10..14
  REQUIRE(queue.put(messages) == 5);

  SECTION("removing from the middle keeps the committed offset at the lowest held") {
    CHECK(queue.remove({messages[2]}) == 10);
    CHECK(queue.remove({messages[4]}) == 10);
    CHECK(queue.cached_count() == 3);
    CHECK(queue.cached_bytes() == 6);
    CHECK(queue.max_cached_offset() == 13);
    CHECK(queue.span() == 3);
    // Removing the lowest moves it to the next held one.
    CHECK(queue.remove({messages[0]}) == 11);
    CHECK(queue.remove({messages[1]}) == 13);
    CHECK(queue.span() == 0);
    CHECK(queue.min_cached_offset() == 13);
    // The last one: one past the highest ever put.
    CHECK(queue.remove({messages[3]}) == 15);
    CHECK(queue.cached_count() == 0);
    CHECK(queue.cached_bytes() == 0);
    CHECK(queue.min_cached_offset() == -1);
    CHECK(queue.max_cached_offset() == -1);
    CHECK(queue.span() == 0);
  }

  SECTION("removing everything at once commits past the highest put") {
    CHECK(queue.remove(messages) == 15);
    CHECK(queue.cached_count() == 0);
    CHECK(queue.cached_bytes() == 0);
  }

  SECTION("removing the highest keeps one past it remembered when the cache empties later") {
    CHECK(queue.remove({messages[4]}) == 10);
    CHECK(queue.remove({messages[0], messages[1], messages[2], messages[3]}) == 15);
  }

  SECTION("removing something not held changes nothing") {
    CHECK(queue.remove({make_message(99)}) == 10);
    CHECK(queue.remove({messages[1]}) == 10);
    CHECK(queue.remove({messages[1]}) == 10);  // second time: no longer held
    CHECK(queue.cached_count() == 4);
    CHECK(queue.cached_bytes() == 8);
    CHECK(queue.remove({}) == 10);
  }

  SECTION("an emptied queue refilled from a later offset") {
    CHECK(queue.remove(messages) == 15);
    CHECK(queue.put(make_messages(20, 2, 1)) == 2);
    CHECK(queue.min_cached_offset() == 20);
    CHECK(queue.remove({make_message(20)}) == 21);
    CHECK(queue.remove({make_message(21)}) == 22);
  }

  SECTION("a re-put of a removed offset is held again") {
    CHECK(queue.remove({messages[0]}) == 11);
    CHECK(queue.put({messages[0]}) == 1);
    CHECK(queue.min_cached_offset() == 10);
    CHECK(queue.remove({messages[1]}) == 10);
  }
}

TEST_CASE("ProcessQueue dropped flag and bookkeeping", "[consumer][process_queue]") {
  ProcessQueue queue;
  CHECK_FALSE(queue.dropped());
  queue.mark_dropped();
  CHECK(queue.dropped());
  queue.mark_dropped();  // idempotent
  CHECK(queue.dropped());
  // A dropped queue still answers (its owner commits the offset it reports).
  CHECK(queue.put(make_messages(0, 2)) == 2);
  CHECK(queue.remove(make_messages(0, 1)) == 1);

  CHECK_FALSE(queue.locked());
  queue.set_locked(true);
  CHECK(queue.locked());
  CHECK(queue.last_lock() > ProcessQueue::Clock::time_point());
  queue.set_locked(false);
  CHECK_FALSE(queue.locked());

  CHECK(queue.broker_max_offset() == -1);
  queue.set_broker_max_offset(42);
  CHECK(queue.broker_max_offset() == 42);

  const auto before = ProcessQueue::Clock::now();
  queue.touch_pull();
  CHECK(queue.last_pull() >= before);
}

TEST_CASE("ProcessQueue put and remove from several threads keep counters consistent",
          "[consumer][process_queue]") {
  ProcessQueue queue;
  constexpr int kThreads = 4;
  constexpr std::int64_t kPerThread = 500;
  constexpr std::int64_t kBody = 3;
  std::atomic<bool> go{false};
  std::atomic<std::int64_t> added{0};
  std::atomic<bool> bad_offset{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      while (!go.load()) std::this_thread::yield();
      const std::int64_t first = t * kPerThread;
      for (std::int64_t offset = first; offset < first + kPerThread; offset += 10) {
        auto chunk = make_messages(offset, 10, static_cast<std::size_t>(kBody));
        // Each chunk is put twice: the second put is a duplicate and adds nothing.
        added += static_cast<std::int64_t>(queue.put(chunk));
        added += static_cast<std::int64_t>(queue.put(chunk));
        const auto committed = queue.remove(chunk);
        // Whatever the other threads hold, the committed offset is a valid position.
        if (committed < 0 || committed > kThreads * kPerThread) bad_offset = true;
      }
    });
  }
  // A reader alongside the writers.
  std::thread reader([&] {
    while (!go.load()) std::this_thread::yield();
    // Each value on its own is consistent (two calls are not one snapshot, so none are compared).
    for (int i = 0; i < 2000; ++i) {
      const auto low = queue.min_cached_offset();
      const auto high = queue.max_cached_offset();
      const auto span = queue.span();
      const auto count = queue.cached_count();
      const auto bytes = queue.cached_bytes();
      if (low < -1 || low >= kThreads * kPerThread || high < -1 || high >= kThreads * kPerThread)
        bad_offset = true;
      if (span < 0 || span >= kThreads * kPerThread) bad_offset = true;
      if (count < 0 || count > kThreads * 10 || bytes < 0 || bytes > kThreads * 10 * kBody) bad_offset = true;
    }
  });
  go = true;
  for (auto& thread : threads) thread.join();
  reader.join();

  CHECK_FALSE(bad_offset.load());
  CHECK(added.load() == kThreads * kPerThread);
  CHECK(queue.cached_count() == 0);
  CHECK(queue.cached_bytes() == 0);
  CHECK(queue.span() == 0);
  CHECK(queue.remove({}) == kThreads * kPerThread);
}

TEST_CASE("ProcessQueue concurrent puts then concurrent removes", "[consumer][process_queue]") {
  ProcessQueue queue;
  constexpr int kThreads = 4;
  constexpr std::int64_t kPerThread = 300;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (std::int64_t i = 0; i < kPerThread; ++i) queue.put({make_message(i * kThreads + t, 5)});
    });
  }
  for (auto& thread : threads) thread.join();
  threads.clear();
  CHECK(queue.cached_count() == kThreads * kPerThread);
  CHECK(queue.cached_bytes() == kThreads * kPerThread * 5);
  CHECK(queue.span() == kThreads * kPerThread - 1);

  // Thread 0 keeps offset 0 (its first message) until the others are done: the queue's committed
  // offset must stay pinned at 0 throughout.
  std::atomic<bool> pinned_ok{true};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (std::int64_t i = (t == 0 ? 1 : 0); i < kPerThread; ++i) {
        if (queue.remove({make_message(i * kThreads + t)}) != 0) pinned_ok = false;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(pinned_ok.load());
  CHECK(queue.cached_count() == 1);
  CHECK(queue.cached_bytes() == 5);
  CHECK(queue.remove({make_message(0)}) == kThreads * kPerThread);
  CHECK(queue.cached_count() == 0);
  CHECK(queue.cached_bytes() == 0);
}

// The cache is a deque with holes for consumed messages (process_queue.h): out-of-order puts,
// removes in the middle and at the back, and a consumed offset pulled again must behave like the
// sorted map it replaced.
TEST_CASE("ProcessQueue holes: out-of-order puts, middle and back removes, re-put of a consumed offset",
          "[consumer][process_queue]") {
  ProcessQueue queue;
  CHECK(queue.put(make_messages(10, 5)) == 5);  // 10..14
  CHECK(queue.put(make_messages(5, 2)) == 2);   // before the front: 5, 6
  CHECK(queue.put(make_messages(8, 1)) == 1);   // between: 8
  CHECK(queue.put(make_messages(12, 1)) == 0);  // already cached
  CHECK(queue.cached_count() == 8);
  CHECK(queue.min_cached_offset() == 5);
  CHECK(queue.max_cached_offset() == 14);
  CHECK(queue.span() == 9);

  CHECK(queue.remove(make_messages(11, 2)) == 5);  // a hole in the middle: the front stays
  CHECK(queue.remove(make_messages(14, 1)) == 5);  // the back: max moves to the next cached one
  CHECK(queue.max_cached_offset() == 13);          // 11 and 12 stay as holes below it
  CHECK(queue.cached_count() == 5);                // 5, 6, 8, 10, 13
  CHECK(queue.remove(make_messages(5, 2)) == 8);   // the front and the one after it
  CHECK(queue.min_cached_offset() == 8);

  CHECK(queue.put(make_messages(11, 1)) == 1);  // a consumed offset pulled again is cached again
  CHECK(queue.cached_count() == 4);             // 8, 10, 11, 13
  CHECK(queue.remove(make_messages(8, 3)) == 11);  // 8 and 10 (9 was never cached)
  CHECK(queue.remove(make_messages(11, 3)) == 15);  // everything: one past the highest put
  CHECK(queue.cached_count() == 0);
  CHECK(queue.cached_bytes() == 0);
  CHECK(queue.span() == 0);
  CHECK(queue.min_cached_offset() == -1);
  CHECK(queue.max_cached_offset() == -1);
}

TEST_CASE("ProcessQueue broker max offset is never lowered by a late pull answer",
          "[consumer][process_queue]") {
  ProcessQueue queue;
  queue.set_broker_max_offset(100);
  queue.set_broker_max_offset(90);
  CHECK(queue.broker_max_offset() == 100);
  queue.set_broker_max_offset(120);
  CHECK(queue.broker_max_offset() == 120);
}
