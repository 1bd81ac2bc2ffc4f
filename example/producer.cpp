// The seed's "Sending Messages" snippet as a program:
//   producer [name-server] [topic] [count]
// Sends `count` messages "Hello RocketMQ <i>" with tag TagA and prints each SendResult.
#include <rocketmq/rocketmq.h>

#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>

int main(int argc, char** argv) {
  const std::string name_server = argc > 1 ? argv[1] : "localhost:9876";
  const std::string topic = argc > 2 ? argv[2] : "TopicTest";
  const int count = argc > 3 ? std::atoi(argv[3]) : 10;

  try {
    rocketmq::ProducerOption option;
    option.set_name_server_addr(name_server);
    option.set_group_name("example_producer_group");
    rocketmq::Producer producer(option);
    producer.start();
    for (int i = 0; i < count; ++i) {
      rocketmq::Message message(topic, "TagA", "Hello RocketMQ " + std::to_string(i));
      const rocketmq::SendResult result = producer.send(message);
      std::cout << "SendResult: msgId=" << result.get_msg_id() << " queue=" << result.get_message_queue().broker_name
                << ":" << result.get_message_queue().queue_id << " offset=" << result.get_queue_offset() << '\n';
    }
    producer.shutdown();
  } catch (const std::exception& error) {
    std::cerr << "producer failed: " << error.what() << '\n';
    return 1;
  }
  return 0;
}
