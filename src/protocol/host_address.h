#pragma once

#include <cstdint>
#include <string>

namespace rocketmq::protocol {

// A host as stored in message records and offset msgIds: raw network-order address bytes (4 for IPv4,
// 16 for IPv6) plus the port.
struct HostAddress {
  std::string ip_bytes;
  std::int32_t port = 0;

  bool is_ipv6() const noexcept { return ip_bytes.size() == 16; }

  // "1.2.3.4:10911" or "[2001:db8::1]:10911"; an address of any other byte length renders as
  // "<invalid>:port" rather than throwing, since this is used in logs and error messages.
  std::string to_string() const;

  bool operator==(const HostAddress& other) const noexcept {
    return ip_bytes == other.ip_bytes && port == other.port;
  }
  bool operator!=(const HostAddress& other) const noexcept { return !(*this == other); }
};

}  // namespace rocketmq::protocol
