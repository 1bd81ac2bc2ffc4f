// The seed's "Message Selectors": an SQL92 selector over message properties.
//   message_selector [name-server] [group] [seconds] [sql]
// The broker filters when it runs with enablePropertyFilter=true; otherwise the consumer logs one
// warning, subscribes broadly there and evaluates the same expression itself, with the broker's
// typing rules (property strings compared with numbers are converted; a missing property never
// matches).
#include <rocketmq/rocketmq.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <thread>

namespace {

struct PrintingListener : rocketmq::MessageListenerConcurrently {
  std::mutex mutex;
  rocketmq::ConsumeResult consume_message(const std::vector<rocketmq::MessageExt>& messages) override {
    std::lock_guard<std::mutex> lock(mutex);
    for (const auto& msg : messages) {
      std::cout << "amount=" << msg.get_property("amount") << " region=" << msg.get_property("region") << ' '
                << msg.get_msg_id() << '\n';
    }
    return rocketmq::ConsumeResult::Success;
  }
};

}  // namespace

int main(int argc, char** argv) {
  rocketmq::ConsumerOption option;
  option.set_name_server_addr(argc > 1 ? argv[1] : "localhost:9876");
  option.set_group_name(argc > 2 ? argv[2] : "message_selector_group");
  const int seconds = argc > 3 ? std::atoi(argv[3]) : 10;
  const char* sql = argc > 4 ? argv[4] : "amount > 100 AND region = 'us-west'";
  try {
    rocketmq::PushConsumer consumer(option);
    const auto selector = rocketmq::MessageSelector::by_sql(sql);
    consumer.subscribe_with_selector("OrderEvents", selector);
    consumer.register_message_listener(std::make_unique<PrintingListener>());
    consumer.start();
    std::this_thread::sleep_for(std::chrono::seconds(seconds));
    consumer.shutdown();
  } catch (const rocketmq::Error& error) {
    // An invalid selector fails here, before start(), with the column of the error.
    std::cerr << "error: " << error.what() << '\n';
    return 1;
  }
  return 0;
}
