#pragma once

#include <chrono>
#include <string>

#include "remoting/remoting_client.h"

namespace rocketmq::client {

// What an MQClientInstance is built from. Clients with the same client id share one instance; the
// first one to start decides these settings.
struct ClientConfig {
  std::string name_server_addr;
  static constexpr const char* kDefaultInstanceName = "DEFAULT";
  std::string instance_name = kDefaultInstanceName;
  std::chrono::milliseconds request_timeout{3000};
  std::chrono::milliseconds heartbeat_interval{30000};
  std::chrono::milliseconds route_refresh_interval{30000};
  std::chrono::milliseconds rebalance_interval{20000};
  std::chrono::milliseconds persist_offset_interval{5000};
  remoting::RemotingClientOptions remoting;

  // "<ip>@<instance_name>".
  std::string client_id() const;

  // The instance name a client really uses, as the Java 5.x client picks it: a name left at
  // DEFAULT becomes "<pid>#<nanos>" when `unique_per_client` (producers and clustering consumers),
  // so each such client gets an instance of its own and two consumers of one group in one process
  // just work; broadcasting consumers keep DEFAULT, so their client id (and with it the path of
  // their local offsets) is the same after a restart. Any other name is kept: clients that share
  // it share one instance.
  static std::string resolve_instance_name(const std::string& instance_name, bool unique_per_client);
};

}  // namespace rocketmq::client
