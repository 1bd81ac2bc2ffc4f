#pragma once

#include <string>

namespace rocketmq::common {

// The first non-loopback IPv4 address of this host as text ("10.0.0.5"), else "127.0.0.1". Used in
// client ids, which only need to tell processes apart.
std::string local_ip_address();

// This process's id.
int process_id();

}  // namespace rocketmq::common
