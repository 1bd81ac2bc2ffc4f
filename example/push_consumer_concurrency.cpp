// The seed's "Concurrency Configuration" and "Pause and Resume":
//   push_consumer_concurrency [name-server] [topic] [group] [seconds]
// A consumer with an elastic pool of 2..20 threads, 64 cached messages per queue, pulls of 32
// and no pause between pulls; it suspends for a second half-way and prints its statistics.
#include <rocketmq/rocketmq.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <thread>

namespace {

std::atomic<long> consumed{0};

struct CountingListener : rocketmq::MessageListenerConcurrently {
  rocketmq::ConsumeResult consume_message(const std::vector<rocketmq::MessageExt>& messages) override {
    consumed += static_cast<long>(messages.size());
    return rocketmq::ConsumeResult::Success;
  }
};

void print(const rocketmq::ConsumerStats& stats) {
  std::cout << "consumed=" << stats.consumed_ok << " failed=" << stats.consumed_failed
            << " threads=" << stats.consume_threads << " (peak " << stats.consume_threads_peak << ")"
            << " cached=" << stats.cached_messages << " queues=" << stats.owned_queues << " lag=" << stats.lag
            << '\n';
}

}  // namespace

int main(int argc, char** argv) {
  rocketmq::ConsumerOption consumer_option;
  consumer_option.set_name_server_addr(argc > 1 ? argv[1] : "localhost:9876");
  const std::string topic = argc > 2 ? argv[2] : "TopicTest";
  consumer_option.set_group_name(argc > 3 ? argv[3] : "concurrency_group");
  const int seconds = argc > 4 ? std::atoi(argv[4]) : 10;

  // Thread pool configuration
  consumer_option.set_consume_thread_min(2);
  consumer_option.set_consume_thread_max(20);
  // Process queue size
  consumer_option.set_process_queue_size(64);
  // Pull batch size
  consumer_option.set_pull_batch_size(32);
  // Pull interval (milliseconds)
  consumer_option.set_pull_interval(0);

  try {
    rocketmq::PushConsumer consumer(consumer_option);
    consumer.subscribe(topic, "*");
    consumer.register_message_listener(std::make_unique<CountingListener>());
    consumer.start();
    std::this_thread::sleep_for(std::chrono::seconds(seconds) / 2);
    // Pause consumption
    consumer.suspend();
    print(consumer.stats());
    std::this_thread::sleep_for(std::chrono::seconds(1));
    // Resume consumption
    consumer.resume();
    std::this_thread::sleep_for(std::chrono::seconds(seconds) / 2);
    print(consumer.stats());
    consumer.shutdown();
  } catch (const rocketmq::Error& error) {
    std::cerr << "error: " << error.what() << '\n';
    return 1;
  }
  return 0;
}
