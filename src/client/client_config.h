#pragma once

#include <chrono>
#include <string>

#include "remoting/remoting_client.h"

namespace rocketmq::client {

// What an MQClientInstance is built from. Clients with the same client id share one instance; the
// first one to start decides these settings.
struct ClientConfig {
  std::string name_server_addr;
  std::string instance_name = "DEFAULT";
  std::chrono::milliseconds request_timeout{3000};
  std::chrono::milliseconds heartbeat_interval{30000};
  std::chrono::milliseconds route_refresh_interval{30000};
  std::chrono::milliseconds rebalance_interval{20000};
  std::chrono::milliseconds persist_offset_interval{5000};
  remoting::RemotingClientOptions remoting;

  // "<ip>@<instance>", with instance "DEFAULT" replaced by the process id (as the Java client does).
  std::string client_id() const;
};

}  // namespace rocketmq::client
