#pragma once

namespace rocketmq {
namespace protocol {

// Request codes of the remoting protocol (docs/protocol.md §4). Values are fixed by the Java peers
// (`RequestCode.java`); every value listed here has the same number in 4.9.8 unless noted.
enum class RequestCode : int {
  // Name server (§4.1).
  kGetRouteInfoByTopic = 105,
  kGetBrokerClusterInfo = 106,
  kGetAllTopicListFromNameServer = 206,
  kGetTopicsByCluster = 224,
  kDeleteTopicInNameServer = 216,

  // Producer → broker (§4.2).
  kSendMessage = 10,
  kSendMessageV2 = 310,
  kSendBatchMessage = 320,
  kEndTransaction = 37,
  kHeartBeat = 34,
  kUnregisterClient = 35,

  // Consumer → broker (§4.3).
  kPullMessage = 11,
  kLitePullMessage = 361,
  kQueryConsumerOffset = 14,
  kUpdateConsumerOffset = 15,
  kGetConsumerListByGroup = 38,
  kConsumerSendMsgBack = 36,
  kLockBatchMq = 41,
  kUnlockBatchMq = 42,
  kCheckClientConfig = 46,
  // Above 32767: only representable with the JSON header encoding (§2.2).
  kPopMessage = 200050,

  // Admin / query → broker (§4.4).
  kSearchOffsetByTimestamp = 29,
  kGetMaxOffset = 30,
  kGetMinOffset = 31,
  kGetEarliestMsgStoretime = 32,
  kQueryMessage = 12,
  kViewMessageById = 33,
  kUpdateAndCreateTopic = 17,
  kUpdateAndCreateSubscriptionGroup = 200,
  kInvokeBrokerToResetOffset = 222,
  kAuthCreateUser = 3001,
  kAuthUpdateUser = 3002,
  kAuthDeleteUser = 3003,
  kAuthGetUser = 3004,
  kAuthListUser = 3005,
  kAuthCreateAcl = 3006,
  kAuthUpdateAcl = 3007,
  kAuthDeleteAcl = 3008,
  kAuthGetAcl = 3009,
  kAuthListAcl = 3010,
  // 4.9.x ACL 1.0 admin codes, removed in 5.x (§5).
  kUpdateAndCreateAclConfig = 50,
  kDeleteAclConfig = 51,
  kGetBrokerClusterAclInfo = 52,
  kUpdateGlobalWhiteAddrsConfig = 53,

  // Broker → client (§4.5); GET_CONSUMER_RUNNING_INFO is also admin → broker.
  kNotifyConsumerIdsChanged = 40,
  kResetConsumerClientOffset = 220,
  kGetConsumerStatusFromClient = 221,
  kGetConsumerRunningInfo = 307,
  kConsumeMessageDirectly = 309,
  kCheckTransactionState = 39,
  kPushReplyMessageToClient = 326,
};

// The Java constant name (e.g. 105 → "GET_ROUTEINFO_BY_TOPIC"), "UNKNOWN" for other values.
const char* request_code_name(int code);

}  // namespace protocol
}  // namespace rocketmq
