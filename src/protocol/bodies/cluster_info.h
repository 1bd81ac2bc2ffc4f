#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>

#include "protocol/bodies/topic_route_data.h"

namespace rocketmq {
namespace protocol {

// GET_BROKER_CLUSTER_INFO body (docs/protocol.md §7.2); always fastjson's non-standard form.
struct ClusterInfo {
  std::map<std::string, BrokerData> broker_addr_table;               // broker name → data
  std::map<std::string, std::set<std::string>> cluster_addr_table;  // cluster → broker names

  static ClusterInfo decode(std::string_view json);
};

}  // namespace protocol
}  // namespace rocketmq
