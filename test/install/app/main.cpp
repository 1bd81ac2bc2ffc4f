// Built outside the source tree against an installed librocketmq: the public headers must be
// self-contained and the exception hierarchy must be catchable across the library boundary.
#include <rocketmq/rocketmq.h>

#include <iostream>

int main() {
  try {
    throw rocketmq::BrokerError(17, "topic not exist", "TOPIC_NOT_EXIST");
  } catch (const rocketmq::Error& error) {
    std::cout << "rocketmq-cpp " << rocketmq::version_string() << " caught: " << error.what() << '\n';
  }
  return 0;
}
