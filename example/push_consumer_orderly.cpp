// Ordered messages end to end: an ordered producer and an orderly push consumer.
//   push_consumer_orderly [name-server] [topic] [group] [order-keys] [messages-per-key] [seconds]
// The producer sends "<key>:<seq>" for every order key with a selector that hashes the key, so all
// messages of one key land on one queue in send order; the orderly listener then receives each
// queue's messages one batch at a time and in queue order, so every key's sequence arrives in order.
// The program checks that and exits 0 once every message arrived in order.
#include <rocketmq/rocketmq.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <map>
#include <mutex>
#include <string>
#include <thread>

namespace {

std::atomic<long> received{0};
std::atomic<long> out_of_order{0};
std::mutex state_mutex;
std::map<std::string, long> next_seq;  // order key -> next expected sequence number

struct OrderListener : rocketmq::MessageListenerOrderly {
  // Runs on a consume thread; never twice at once for one queue, so the messages of one key are
  // seen strictly one after the other.
  rocketmq::ConsumeResult consume_message(const std::vector<rocketmq::MessageExt>& messages) override {
    for (const auto& msg : messages) {
      const std::string& body = msg.get_body();
      const auto colon = body.rfind(':');
      const std::string key = body.substr(0, colon);
      const long seq = std::atol(body.c_str() + colon + 1);
      std::lock_guard<std::mutex> lock(state_mutex);
      long& expected = next_seq[key];
      if (seq < expected) continue;  // a redelivery (at least once): already seen
      if (seq != expected) {
        ++out_of_order;
        std::cerr << "out of order: key " << key << " got " << seq << ", expected " << expected << '\n';
      }
      expected = seq + 1;
      ++received;
    }
    return rocketmq::ConsumeResult::Success;
  }
};

// The queue of an order: any function of the key works as long as it is stable; this is the one
// select_queue_by_hash() implements (Java's String.hashCode modulo the queue count).
rocketmq::MessageQueue select_by_order_key(const std::vector<rocketmq::MessageQueue>& queues,
                                           const rocketmq::Message& message, const std::string& order_key) {
  static const auto by_hash = rocketmq::select_queue_by_hash();
  return by_hash(queues, message, order_key);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string name_server = argc > 1 ? argv[1] : "localhost:9876";
  const std::string topic = argc > 2 ? argv[2] : "TopicTestOrderly";
  const std::string group = argc > 3 ? argv[3] : "my_orderly_consumer_group";
  const int keys = argc > 4 ? std::atoi(argv[4]) : 8;
  const int per_key = argc > 5 ? std::atoi(argv[5]) : 10;
  const int seconds = argc > 6 ? std::atoi(argv[6]) : 60;
  const long expected = static_cast<long>(keys) * per_key;

  try {
    rocketmq::ProducerOption producer_option;
    producer_option.set_name_server_addr(name_server);
    producer_option.set_group_name("example_orderly_producer_group");
    rocketmq::Producer producer(producer_option);
    producer.start();
    // Interleaved keys, each key in sequence: one synchronous send at a time keeps the send order.
    for (int seq = 0; seq < per_key; ++seq) {
      for (int k = 0; k < keys; ++k) {
        const std::string key = "order-" + std::to_string(k);
        rocketmq::Message message(topic, "TagA", key + ":" + std::to_string(seq));
        message.set_keys(key);
        producer.send(message, select_by_order_key, key);
      }
    }
    producer.shutdown();
    std::cout << "sent " << expected << " message(s) for " << keys << " order key(s)\n";

    rocketmq::ConsumerOption consumer_option;
    consumer_option.set_name_server_addr(name_server);
    consumer_option.set_group_name(group);
    consumer_option.set_consume_from_where(rocketmq::ConsumeFromWhere::ConsumeFromFirstOffset);
    rocketmq::PushConsumer consumer(consumer_option);
    consumer.subscribe(topic, "*");
    consumer.register_message_listener(std::make_unique<OrderListener>());
    consumer.start();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (received < expected && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    consumer.shutdown();
  } catch (const rocketmq::Error& error) {
    std::cerr << "error: " << error.what() << '\n';
    return 1;
  }
  std::cout << "received " << received << " of " << expected << " message(s) in order, " << out_of_order
            << " out of order\n";
  return received >= expected && out_of_order == 0 ? 0 : 3;
}
