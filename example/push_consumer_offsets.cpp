// The seed's "Offset Management":
//   push_consumer_offsets [name-server] [topic] [group] [epoch-millis]
// Starts from the last offset for a new group, then moves the group to a timestamp and queue 0
// back to offset 0.
#include <rocketmq/rocketmq.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <thread>

namespace {

struct PrintingListener : rocketmq::MessageListenerConcurrently {
  rocketmq::ConsumeResult consume_message(const std::vector<rocketmq::MessageExt>& messages) override {
    for (const auto& msg : messages) {
      std::cout << msg.get_queue_id() << "@" << msg.get_queue_offset() << " stored " << msg.get_store_timestamp()
                << '\n';
    }
    return rocketmq::ConsumeResult::Success;
  }
};

}  // namespace

int main(int argc, char** argv) {
  rocketmq::ConsumerOption consumer_option;
  consumer_option.set_name_server_addr(argc > 1 ? argv[1] : "localhost:9876");
  const std::string topic = argc > 2 ? argv[2] : "TopicTest";
  consumer_option.set_group_name(argc > 3 ? argv[3] : "offsets_group");
  const long long timestamp = argc > 4 ? std::atoll(argv[4]) : 1699200000000LL;

  // Set starting position
  consumer_option.set_consume_from_where(rocketmq::ConsumeFromWhere::ConsumeFromLastOffset);
  try {
    rocketmq::PushConsumer consumer(consumer_option);
    consumer.subscribe(topic, "*");
    consumer.register_message_listener(std::make_unique<PrintingListener>());
    consumer.start();
    std::this_thread::sleep_for(std::chrono::seconds(2));
    // Reset offset to specific timestamp
    consumer.seek_by_timestamp(topic, timestamp);
    std::this_thread::sleep_for(std::chrono::seconds(2));
    // Reset offset to specific offset
    consumer.seek_to_offset(topic, 0, 100);
    std::this_thread::sleep_for(std::chrono::seconds(2));
    consumer.shutdown();
  } catch (const rocketmq::Error& error) {
    std::cerr << "error: " << error.what() << '\n';
    return 1;
  }
  return 0;
}
