#include "protocol/bodies/cluster_info.h"

#include "protocol/lenient_json.h"

namespace rocketmq {
namespace protocol {

ClusterInfo ClusterInfo::decode(std::string_view text) {
  static constexpr const char* kContext = "ClusterInfo";
  rapidjson::Document document = parse_lenient_json(text);
  json::require_object(document, kContext);
  ClusterInfo info;
  if (const rapidjson::Value* brokers = json::find_member(document, "brokerAddrTable")) {
    json::require_object(*brokers, "ClusterInfo.brokerAddrTable");
    for (auto it = brokers->MemberBegin(); it != brokers->MemberEnd(); ++it) {
      info.broker_addr_table[it->name.GetString()] =
          broker_data_from_json(it->value, "ClusterInfo.brokerAddrTable");
    }
  }
  if (const rapidjson::Value* clusters = json::find_member(document, "clusterAddrTable")) {
    json::require_object(*clusters, "ClusterInfo.clusterAddrTable");
    for (auto it = clusters->MemberBegin(); it != clusters->MemberEnd(); ++it) {
      json::require_array(it->value, "ClusterInfo.clusterAddrTable");
      std::set<std::string>& names = info.cluster_addr_table[it->name.GetString()];
      for (const auto& name : it->value.GetArray()) {
        names.insert(json::to_string(name, "clusterAddrTable", kContext));
      }
    }
  }
  return info;
}

}  // namespace protocol
}  // namespace rocketmq
