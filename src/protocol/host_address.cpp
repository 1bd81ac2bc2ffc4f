#include "protocol/host_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>

namespace rocketmq::protocol {

std::string HostAddress::to_string() const {
  const std::string port_suffix = ":" + std::to_string(port);
  if (ip_bytes.size() == 4) {
    std::string text;
    for (std::size_t i = 0; i < 4; ++i) {
      if (i > 0) text.push_back('.');
      text += std::to_string(static_cast<unsigned char>(ip_bytes[i]));
    }
    return text + port_suffix;
  }
  if (ip_bytes.size() == 16) {
    char text[INET6_ADDRSTRLEN] = {};
    if (inet_ntop(AF_INET6, ip_bytes.data(), text, sizeof(text)) != nullptr) {
      return "[" + std::string(text) + "]" + port_suffix;
    }
  }
  return "<invalid>" + port_suffix;
}

}  // namespace rocketmq::protocol
